"""The search fields of the Audit dock: who, what action, on what, when, with what outcome."""

from __future__ import annotations

from hms_desktop.services.admin.audit_trail import AUDIT_OUTCOMES, AUDITED_TABLES, AuditQuery
from ui import clinic_time
from ui.forms import FieldErrors
from ui.qt import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QFormLayout,
    QKeyEvent,
    QLabel,
    QLineEdit,
    Qt,
    QWidget,
    Signal,
)

# The actions the trail records (row changes, then events); the combo is editable for any other.
ACTIONS = (
    "create",
    "update",
    "delete",
    "view",
    "login",
    "login_failed",
    "lockout",
    "logout",
    "token_reuse",
    "permission_denied",
    "print",
    "export",
    "backup",
    "restore",
    "rekey",
    "password_change",
    "password_reset",
    "password_reset_requested",
    "unlock",
    "unlock_failed",
    "user_disabled",
)


def _combo(name: str, items: list[str], placeholder: str) -> QComboBox:
    combo = QComboBox()
    combo.setObjectName(name)
    combo.setEditable(True)
    combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
    combo.addItems(["", *items])
    line = combo.lineEdit()
    if line is not None:
        line.setPlaceholderText(placeholder)
    return combo


def _date(name: str) -> QDateEdit:
    edit = QDateEdit(clinic_time.qtoday())
    edit.setObjectName(name)
    edit.setDisplayFormat("dd-MM-yyyy")
    edit.setCalendarPopup(True)
    edit.setEnabled(False)
    edit.setToolTip("Whole days in the clinic's time zone.")
    return edit


class AuditFilters(QWidget):
    submitted = Signal()  # Enter in any field

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        self.user_email = QLineEdit()
        self.user_email.setObjectName("userEmail")
        self.user_email.setPlaceholderText("anyone")
        self.action = _combo("auditAction", list(ACTIONS), "any action")
        tables = list(AUDITED_TABLES)
        self.entity_type = _combo("entityType", tables, "anything (e.g. patients)")
        self.outcome = QComboBox()
        self.outcome.setObjectName("outcome")
        self.outcome.addItem("any outcome", None)
        for outcome in AUDIT_OUTCOMES:
            self.outcome.addItem(outcome, outcome)
        self.from_on = QCheckBox("&From")
        self.from_on.setObjectName("dateFromOn")
        self.date_from = _date("dateFrom")
        self.to_on = QCheckBox("&To")
        self.to_on.setObjectName("dateToOn")
        self.date_to = _date("dateTo")
        self.from_on.toggled.connect(self.date_from.setEnabled)
        self.to_on.toggled.connect(self.date_to.setEnabled)
        form.addRow("&User email", self.user_email)
        form.addRow("&Action", self.action)
        form.addRow("&Entity type", self.entity_type)
        form.addRow("&Outcome", self.outcome)
        form.addRow(self.from_on, self.date_from)
        form.addRow(self.to_on, self.date_to)
        general = QLabel()
        form.addRow(general)
        self.errors = FieldErrors(
            form,
            {
                "user_email": self.user_email,
                "action": self.action,
                "entity_type": self.entity_type,
                "outcome": self.outcome,
                "date_from": self.date_from,
                "date_to": self.date_to,
            },
            general,
        )

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt's name
        """Enter in any field (line edits, combos and date edits pass it up) searches."""
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.submitted.emit()
            event.accept()
        else:
            super().keyPressEvent(event)

    def query(self) -> AuditQuery:
        return AuditQuery(
            user_email=self.user_email.text().strip() or None,
            action=self.action.currentText().strip() or None,
            entity_type=self.entity_type.currentText().strip() or None,
            outcome=self.outcome.currentData(),
            date_from=clinic_time.day_of(self.date_from.date()) if self.from_on.isChecked() else None,
            date_to=clinic_time.day_of(self.date_to.date()) if self.to_on.isChecked() else None,
        )
