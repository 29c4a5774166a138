"""Admin: staff accounts, roles and their permissions, the clinic's settings, departments, taxes and doctors."""
