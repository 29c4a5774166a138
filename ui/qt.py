"""The one place Qt is imported from (as in Anki's aqt.qt): a Qt upgrade touches only this module.

Each name is listed (add one here before using it elsewhere) rather than star-imported: Qt's modules export
helpers of the same name (``QIntList`` in four of them, ``qFuzzyCompare`` in two), which star imports shadow.
"""

# ruff: noqa: F401 - the names are for the rest of the UI

from PySide6.QtCore import (
    QAbstractTableModel,
    QDate,
    QEvent,
    QMarginsF,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRectF,
    QSettings,
    QSizeF,
    QTime,
    QTimer,
    Signal,
)
from PySide6.QtGui import (
    QAction,
    QBrush,
    QColor,
    QCursor,
    QFont,
    QGuiApplication,
    QImage,
    QKeyEvent,
    QKeySequence,
    QPageLayout,
    QPageSize,
    QPainter,
    QPixmap,
    QScreen,
    QShortcut,
    Qt,  # QtCore's Qt namespace with QtGui's two rich-text helpers
    QTextDocument,
)
from PySide6.QtPrintSupport import QPrintDialog, QPrinter, QPrintPreviewDialog
from PySide6.QtTest import QTest  # for the UI tests
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QCheckBox,
    QComboBox,
    QCompleter,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QDockWidget,
    QFileDialog,
    QFormLayout,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QPlainTextEdit,
    QProgressDialog,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSpinBox,
    QSplitter,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QTextBrowser,
    QTimeEdit,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)
from shiboken6 import isValid  # whether a Qt object still exists
