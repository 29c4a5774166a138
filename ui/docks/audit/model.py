"""One page of audit rows as a table, and the field | old | new comparison of one row."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from hms_desktop.services.admin.audit_trail import AuditEntry
from ui.qt import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

COLUMNS = ("Time", "Who", "Role", "Workstation", "Action", "Entity", "Outcome", "Detail")
TIME_FORMAT = "%d-%m-%Y %H:%M:%S"

Index = QModelIndex | QPersistentModelIndex


def local_time(when: datetime, zone: ZoneInfo) -> str:
    return when.astimezone(zone).strftime(TIME_FORMAT)


def entity_text(entry: AuditEntry) -> str:
    if not entry.entity_type:
        return ""
    if not entry.entity_id:
        return entry.entity_type
    short = entry.entity_id if len(entry.entity_id) <= 12 else entry.entity_id[:8] + "..."
    return f"{entry.entity_type} {short}"


def value_text(value: Any) -> str:
    """An audit value as the user reads it: text as is, structures as JSON, nothing as blank."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def change_rows(old: dict[str, Any] | None, new: dict[str, Any] | None) -> list[tuple[str, str, str, bool]]:
    """(field, old, new, changed) for every field either side names, in the order they were recorded."""
    before, after = old or {}, new or {}
    fields = list(before) + [k for k in after if k not in before]
    rows = []
    for name in fields:
        changed = (name in before) != (name in after) or before.get(name) != after.get(name)
        rows.append((name, value_text(before.get(name)), value_text(after.get(name)), changed))
    return rows


class AuditPageModel(QAbstractTableModel):
    """The rows of the page on show; the dock pages with next/previous."""

    def __init__(self, zone: ZoneInfo) -> None:
        super().__init__()
        self.zone = zone
        self.rows: list[AuditEntry] = []

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        e = self.rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return self.cells(e)[index.column()]
        if role == Qt.ItemDataRole.ToolTipRole:
            if COLUMNS[index.column()] == "Entity" and e.entity_id:
                return f"{e.entity_type} {e.entity_id}"
            if COLUMNS[index.column()] == "Detail":
                return e.detail
        return None

    def cells(self, e: AuditEntry) -> tuple[str, ...]:
        return (
            local_time(e.occurred_at, self.zone),
            e.user_email or "",
            e.role or "",
            e.workstation_name or "",
            e.action,
            entity_text(e),
            e.outcome,
            e.detail or "",
        )

    def set_rows(self, rows: list[AuditEntry]) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()

    def set_zone(self, zone: ZoneInfo) -> None:
        self.beginResetModel()
        self.zone = zone
        self.endResetModel()

    def entry(self, row: int) -> AuditEntry | None:
        return self.rows[row] if 0 <= row < len(self.rows) else None
