"""Persistence: SQLAlchemy 2 models, the encrypted SQLCipher engine, Alembic migrations.

This package never imports Qt or the application core (`hms_desktop`); see the import-linter contracts.
"""
