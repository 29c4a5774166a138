"""The central sync server: a stateless Starlette app over PostgreSQL (``hms sync-server``).

Modules: ``app`` (routes, serving), ``store`` (engine, schema, change feed), ``auth`` (codes, tokens),
``enrol``, ``apply`` (pushes), ``feed`` (pulls), ``admin`` (init, codes, revoke, list).
"""
