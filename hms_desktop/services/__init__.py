"""Everything a user can do, one module per area. Each function takes the Context first and is gated by
``@requires("area.action")`` (or marked ``@public``)."""
