"""The PySide6 desktop application. Qt is imported only through ``ui.qt``."""
