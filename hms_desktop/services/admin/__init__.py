"""Identity and administration: signing in and sessions, users and roles, the clinic's settings, departments,
taxes, first set-up, the audit trail's search and verify. Screens: the Admin and Audit docks. Models:
``db.models.identity``, ``hospital``, ``audit``.
"""
