"""How lab statuses and flags read on screen, in the Lab dock and the Doctor's Lab tab alike: the flag marks the
printed report uses (H, L, Critical H), coloured; the order statuses in the lab's words (the worklist's column
names the next step, as its filter does: to collect, to enter, to verify)."""

from __future__ import annotations

from datetime import datetime

from hms_desktop.services.clinical.lab_orders import LabOrderView
from hms_desktop.services.clinical.lab_parameters import ResultValue
from hms_desktop.services.clinical.lab_reports import flag_mark
from ui import clinic_time
from ui.qt import QBrush, QColor, QTableWidgetItem

STATUS_WORDS = {
    "ordered": "Sample to collect",
    "sample_collected": "Result to enter",
    "in_progress": "In progress",
    "completed": "Result to verify",
    "verified": "Verified",
    "cancelled": "Cancelled",
}
# the worklist's column: the lab's next step, in the words of the worklist's filter
NEXT_STEP = {
    "ordered": "To collect",
    "sample_collected": "To enter",
    "in_progress": "To enter",
    "completed": "To verify",
    "verified": "Verified",
    "cancelled": "Cancelled",
}
ORDER_FLAG_WORDS = {"normal": "Normal", "abnormal": "Abnormal", "critical": "CRITICAL"}
FLAG_COLOURS = {"normal": "#0b6e4f", "abnormal": "#b35900", "critical": "#b00020"}
PRIORITY_COLOURS = {"stat": "#b00020", "urgent": "#b35900"}


def status_text(status: str) -> str:
    return STATUS_WORDS.get(status, status.replace("_", " "))


def next_step(status: str) -> str:
    return NEXT_STEP.get(status, status.replace("_", " "))


def order_flag_text(order: LabOrderView) -> str:
    """The worst flag of an entered result ("" before a result, or when nothing was flagged)."""
    return ORDER_FLAG_WORDS.get(order.result_flag or "", "")


def value_flag_text(value: ResultValue) -> str:
    """A value's mark as printed ("H", "L", "Critical H", ""), or "Normal" for a flagged normal value."""
    mark = flag_mark(value)
    return mark or ("Normal" if value.flag == "normal" else "")


def coloured(item: QTableWidgetItem, flag: str | None) -> QTableWidgetItem:
    """``item`` in the colour of ``flag`` (abnormal amber, critical red and bold, normal green)."""
    colour = FLAG_COLOURS.get(flag or "")
    if colour is not None:
        item.setForeground(QBrush(QColor(colour)))
    if flag in ("abnormal", "critical"):
        font = item.font()
        font.setBold(True)
        item.setFont(font)
    return item


def priority_item(priority: str) -> QTableWidgetItem:
    item = QTableWidgetItem(priority.upper() if priority != "routine" else "routine")
    colour = PRIORITY_COLOURS.get(priority)
    if colour is not None:
        item.setForeground(QBrush(QColor(colour)))
        font = item.font()
        font.setBold(True)
        item.setFont(font)
    return item


def when(instant: datetime | None) -> str:
    """An instant as the clinic's "30 Nov 10:42", or "10:42" today; "" for none."""
    if instant is None:
        return ""
    local = clinic_time.local(instant)
    return f"{local:%H:%M}" if local.date() == clinic_time.today() else f"{local:%d %b %H:%M}"
