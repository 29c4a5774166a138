"""The ``hms`` admin command."""
