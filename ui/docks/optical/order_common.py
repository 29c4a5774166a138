"""What the Orders tab's pages share: how a promised date reads ("Overdue 2 days", "Due today"), the overdue
colours (always with the words, for whoever does not see the colour), and messages under the fields they name."""

from __future__ import annotations

from datetime import date, datetime
from html import escape

from hms_desktop.errors import ValidationError
from hms_desktop.services.optical.order_views import OrderView, money_text
from ui import clinic_time
from ui.docks.pharmacy.common import message_of
from ui.qt import QKeySequence, QLabel, QShortcut, Qt, QWidget

OVERDUE_BG, OVERDUE_FG = "#fde2e4", "#7a1020"
DUE_TODAY_FG = "#8a4b00"
MUTED = "#5b6b78"
BAD_FIELD = "border: 2px solid #b00020;"


def rs(paise: int) -> str:
    """ "Rs 14,500.00" (lakh grouping), as the order slip and the services' texts write money."""
    return money_text(paise)


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def day_text(d: date | None) -> str:
    return f"{d:%d %b %Y}" if d is not None else ""


def due_text(promised: date | None, overdue: bool) -> str:
    """ "Overdue 2 days", "Due today", "Due 05 Dec"; "No promised date" without one."""
    if promised is None:
        return "No promised date"
    late = (clinic_time.today() - promised).days
    if overdue and late > 0:
        return f"Overdue {plural(late, 'day')}"
    if promised == clinic_time.today():
        return "Due today"
    return f"Due {promised:%d %b}"


def shortcut(parent: QWidget, keys: str, slot: object) -> QShortcut:
    """A key for ``slot`` while the focus is anywhere in ``parent`` (each page has its own keys)."""
    found = QShortcut(QKeySequence(keys), parent)
    found.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
    found.activated.connect(slot)
    return found


def error_label(name: str = "fieldError") -> QLabel:
    label = QLabel()
    label.setObjectName(name)
    label.setWordWrap(True)
    label.hide()
    return label


class Messages:
    """A service's refusal shown in its own words under the field it names (a field the page does not know, or
    a refusal that names none, at the top of the page), the field outlined and focused."""

    def __init__(self, general: QLabel) -> None:
        self.general = general
        self.fields: dict[str, tuple[QWidget, QLabel]] = {}

    def add(self, name: str, widget: QWidget, label: QLabel) -> None:
        self.fields[name] = (widget, label)

    def clear(self) -> None:
        for widget, label in [*self.fields.values()]:
            label.clear()
            label.hide()
            widget.setStyleSheet("")
        self.general.clear()
        self.general.hide()

    def show(self, exc: BaseException, fallback: dict[str, str] | None = None) -> str:
        """Show ``exc``; returns the field it went to ("" for the top of the page). ``fallback`` maps a field the
        page shows elsewhere ("lines[1].discount") to one it has ("lines")."""
        self.clear()
        field = exc.field if isinstance(exc, ValidationError) else ""
        if field not in self.fields and fallback:
            field = next((to for prefix, to in fallback.items() if field.startswith(prefix)), field)
        if field in self.fields:
            widget, label = self.fields[field]
            label.setText(message_of(exc))
            label.show()
            widget.setStyleSheet(BAD_FIELD)
            widget.setFocus()
            return field
        self.general.setText(message_of(exc))
        self.general.show()
        return ""

    def text(self, name: str) -> str:
        found = self.fields.get(name)
        return found[1].text() if found is not None and not found[1].isHidden() else ""


# --- an order as its detail page writes it


def when(instant: datetime | None) -> str:
    return f"{clinic_time.local(instant):%d %b %Y %H:%M}" if instant is not None else ""


def has_lens(view: OrderView) -> bool:
    return any(line.category == "lens" for line in view.lines)


def facts_html(view: OrderView) -> str:
    """The patient, the dates, the lab and its job number, a remake, the notes."""
    phone = f", {view.patient_phone}" if view.patient_phone else ""
    lab = view.lab_name + (f", job {view.lab_reference}" if view.lab_reference else "")
    facts = [
        f"<b>{escape(view.patient_name)}</b> ({view.patient_code}){escape(phone)}",
        f"ordered {day_text(view.ordered_on)}",
        f"promised {day_text(view.promised_date)}" if view.promised_date else "no promised date",
        f"lab: {escape(lab)}" if view.lab_name else "no lab yet",
    ]
    if view.remake_count:
        facts.append(f"<b>remake {view.remake_count}</b>")
    return " · ".join(facts) + (f"<br>Notes: {escape(view.notes)}" if view.notes else "")


def rx_html(view: OrderView) -> str:
    """The prescription (R and L as opticians write them) and the fitting measurements."""
    parts = [f"<b>Prescription</b>: {escape(view.prescription_text) or 'none (no lenses)'}"]
    p = view.prescription
    if p is not None:
        eyes = [f"{e.label} {e.rx_text}" + (f" add {e.add_text}" if e.add_text else "")
                for e in (p.right, p.left) if e.prescribed]  # fmt: skip
        parts.append(escape("; ".join(eyes)))
    if view.measurements_text:
        parts.append(f"<b>Measurements</b>: {escape(view.measurements_text)}")
    return "<br>".join(parts)


def totals_html(view: OrderView) -> str:
    return (f"Subtotal {rs(view.subtotal_paise)} · discount {rs(view.discount_paise)} · GST inside "
            f"{rs(view.tax_paise)}<br><b>Total {rs(view.total_paise)}</b> · advance {rs(view.advance_paise)} · "
            f"<b>balance {rs(view.balance_paise)}</b>")  # fmt: skip
