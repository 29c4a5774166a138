"""HMS Desktop: the application core. No Qt here (import-linter checks it)."""

__version__ = "0.1.0"
