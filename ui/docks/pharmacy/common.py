"""What the Pharmacy dock's tabs share: a medicine's facts as the screens need them, quantities in the medicine's
unit with the pack shown ("20 tablets (1 strip of 15 + 5)"), money as rupees, the schedule badge, tables."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from hms_desktop.errors import HmsError
from hms_desktop.money import rupees_text
from hms_desktop.services.pharmacy.catalog import MedicineView
from hms_desktop.services.pharmacy.catalog_rules import units_text
from hms_desktop.services.pharmacy.stock_views import MedicineStock
from ui.qt import QAbstractItemView, QBrush, QColor, QHeaderView, QLabel, Qt, QTableWidget, QTableWidgetItem, QWidget
from ui.worker import error_text

BADGES = {"H": "[H]", "H1": "[H1]", "X": "[X]"}
BADGE_TIPS = {
    "H": "Schedule H: sold only against a prescription",
    "H1": "Schedule H1: sold only against a prescription; each sale is written in the H1 register",
    "X": "Schedule X: sold only against a prescription; each sale is written in the X register",
}
RED = "#b00020"


@dataclass(frozen=True, kw_only=True)
class Facts:
    """A medicine as a line on screen shows it."""

    id: uuid.UUID
    name: str
    generic_name: str
    strength: str
    form: str
    unit: str
    pack_size: int
    schedule: str

    @classmethod
    def of(cls, m: MedicineView | MedicineStock) -> Facts:
        return cls(id=m.id, name=m.name, generic_name=m.generic_name, strength=m.strength, form=m.form, unit=m.unit,
                   pack_size=m.pack_size, schedule=m.schedule)  # fmt: skip

    @property
    def label(self) -> str:
        """ "Dolo 650 (Paracetamol 650 mg) [H]"."""
        inner = " ".join(x for x in (self.generic_name, self.strength) if x)
        return named(f"{self.name} ({inner})" if inner else self.name, self.schedule)

    def quantity(self, count: int) -> str:
        return quantity_text(count, self.unit, self.pack_size, self.form)


def badge(schedule: str) -> str:
    return BADGES.get(schedule, "")


def named(name: str, schedule: str) -> str:
    """The name with its schedule badge: "Taxim-O 200 [H1]"."""
    b = badge(schedule)
    return f"{name} {b}" if b else name


def rs(paise: int) -> str:
    return f"Rs {rupees_text(paise)}"


def container(form: str, unit: str, pack_size: int) -> str:
    if form in ("tablet", "capsule") and unit in ("tablet", "capsule"):
        return "strip" if pack_size <= 30 else "bottle"
    return "bottle" if form in ("syrup", "drops") else "pack"


def plural(unit: str) -> str:
    """ "tablets", "boxes": the unit as a spin box's suffix."""
    return units_text(2, unit).split(" ", 1)[1]


def pack_text(form: str, unit: str, pack_size: int) -> str:
    """ "strip of 15 tablets"; "bottle" for a pack of one."""
    if pack_size <= 1:
        return unit
    return f"{container(form, unit, pack_size)} of {units_text(pack_size, unit)}"


def quantity_text(count: int, unit: str, pack_size: int, form: str) -> str:
    """ "15 tablets (1 strip of 15)", "20 tablets (1 strip of 15 + 5)", "10 tablets (of a strip of 15)"."""
    text = units_text(count, unit)
    if pack_size <= 1 or count <= 0:
        return text
    box = container(form, unit, pack_size)
    packs, loose = divmod(count, pack_size)
    if not packs:
        return f"{text} (of a {box} of {pack_size})"
    return f"{text} ({packs} {box}{'s' if packs != 1 else ''} of {pack_size}" + (f" + {loose})" if loose else ")")


def day_text(d: date) -> str:
    return f"{d:%d %b %Y}"


def message_of(exc: BaseException) -> str:
    """A service's own words (an unexpected error: the log's note, never a traceback)."""
    return exc.message if isinstance(exc, HmsError) else error_text(exc)


def table(columns: list[str], stretch: int, name: str) -> QTableWidget:
    t = QTableWidget(0, len(columns))
    t.setObjectName(name)
    t.setHorizontalHeaderLabels(columns)
    t.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    t.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    t.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    t.setWordWrap(False)
    t.setTabKeyNavigation(False)  # Tab leaves the table for the next field (a cell's spin box among them)
    header = t.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    t.verticalHeader().hide()
    return t


def fixed_column(t: QTableWidget, column: int, width: int) -> None:
    """A column of spin boxes or tick boxes: wide enough for the widget and its arrows."""
    t.horizontalHeader().setSectionResizeMode(column, QHeaderView.ResizeMode.Fixed)
    t.setColumnWidth(column, width)


def tab_chain(*widgets: QWidget) -> None:
    """Tab goes through ``widgets`` in this order (cell widgets made later would otherwise come last)."""
    for a, b in zip(widgets, widgets[1:], strict=False):
        QWidget.setTabOrder(a, b)


def cell(text: str, tip: str = "", right: bool = False, colour: str = "") -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    if tip:
        item.setToolTip(tip)
    if right:
        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    if colour:
        item.setForeground(QBrush(QColor(colour)))
    return item


def label(name: str) -> QLabel:
    """A wrapping label; ``formError`` is the style sheet's red message."""
    out = QLabel()
    out.setObjectName(name)
    out.setWordWrap(True)
    return out
