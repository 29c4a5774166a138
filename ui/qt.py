"""The one place Qt is imported from (as in Anki's aqt.qt): a Qt upgrade touches only this module."""

from PySide6.QtCore import *  # noqa: F403
from PySide6.QtGui import *  # noqa: F403
from PySide6.QtPrintSupport import *  # noqa: F403
from PySide6.QtTest import QTest  # noqa: F401 - for the UI tests
from PySide6.QtWidgets import *  # noqa: F403
from shiboken6 import isValid  # noqa: F401 - whether a Qt object still exists
