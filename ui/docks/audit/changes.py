"""The selected audit row in full: what happened, and its old and new values side by side."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from hms_desktop.services.admin.audit_trail import AuditEntry
from ui.docks.audit.model import change_rows, local_time
from ui.qt import (
    QAbstractItemView,
    QBrush,
    QColor,
    QHeaderView,
    QLabel,
    Qt,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

CHANGED_BACKGROUND = QColor("#ffe08a")
CHANGED_FOREGROUND = QColor("#000000")
CHANGED_ROLE = Qt.ItemDataRole.UserRole  # True on every cell of a changed field


class ChangesView(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel("Select a row to see its old and new values.")
        self.title.setObjectName("changesTitle")
        self.title.setWordWrap(True)
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.table = QTableWidget(0, 3)
        self.table.setObjectName("auditChanges")
        self.table.setHorizontalHeaderLabels(["Field", "Old", "New"])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.table)

    def clear(self) -> None:
        self.title.setText("Select a row to see its old and new values.")
        self.table.setRowCount(0)

    def show_entry(self, entry: AuditEntry | None, zone: ZoneInfo) -> None:
        if entry is None:
            self.clear()
            return
        what = entry.action + (f" {entry.entity_type}" if entry.entity_type else "")
        who = entry.user_email or "nobody signed in"
        where = f" at {entry.workstation_name}" if entry.workstation_name else ""
        lines = [f"{what} by {who}{where}, {local_time(entry.occurred_at, zone)} ({entry.outcome})"]
        if entry.entity_id:
            lines.append(f"Record: {entry.entity_id}")
        if entry.detail:
            lines.append(entry.detail)
        self.title.setText("\n".join(lines))
        rows = change_rows(entry.old_values, entry.new_values)
        self.table.setRowCount(len(rows))
        for r, (name, old, new, changed) in enumerate(rows):
            for c, text in enumerate((name, old, new)):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                item.setData(CHANGED_ROLE, changed)
                if changed:
                    item.setBackground(QBrush(CHANGED_BACKGROUND))
                    item.setForeground(QBrush(CHANGED_FOREGROUND))
                    font = item.font()
                    font.setBold(True)
                    item.setFont(font)
                self.table.setItem(r, c, item)
        self.table.resizeRowsToContents()
