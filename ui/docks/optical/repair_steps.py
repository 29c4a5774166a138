"""The pieces of a repair's detail: which steps its state allows, the words for its facts, and ``StepBox``, a
step that needs words (who approved, the part awaited, a new estimate and why, the reason for cancelling) with
its fields, its button and the service's refusal under the field it names."""

from __future__ import annotations

from collections.abc import Callable
from html import escape

from hms_desktop.errors import ValidationError
from hms_desktop.services.optical.repair_views import RepairView, day_text
from ui import clinic_time
from ui.forms import FieldErrors, on_enter
from ui.qt import QFormLayout, QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

OVERDUE_FG, OVERDUE_BG = "#7a1020", "#fde2e4"
APPROVERS = ("Patient, in person", "Patient, by phone")
OPEN = ("received", "in_progress", "waiting_for_parts")


def allowed(view: RepairView) -> set[str]:
    """The steps the repair's state allows (the service decides; the screen offers no more than these)."""
    s, approved = view.status, view.estimate_approved
    steps: set[str] = {"print"}
    if s == "received":
        steps.add("start" if approved else "approve")
    if s == "in_progress":
        steps |= {"ready", "wait"}
    if s == "waiting_for_parts":
        steps.add("resume")
    if s in OPEN:
        steps.add("revise")
    if s == "ready":
        steps.add("deliver")
    if s in (*OPEN, "ready"):
        steps.add("cancel")
    return steps


def next_hint(view: RepairView) -> str:
    s = view.status
    if s == "received" and not view.estimate_approved:
        return f"Next: the patient approves the estimate of {view.estimate_text}; then work can start."
    return {
        "received": "Next: start the work (the estimate is approved).",
        "in_progress": "Next: mark it ready when the work is done, or wait for a part.",
        "waiting_for_parts": "Next: resume the work when the part comes.",
        "ready": "Next: hand it back to the patient (Deliver).",
        "delivered": "Handed back to the patient.",
        "cancelled": "Cancelled.",
    }.get(s, "")


def promised_words(view: RepairView) -> str:
    if view.promised_date is None:
        return "no date promised"
    text = f"promised for {day_text(view.promised_date)}"
    return f"{text} (OVERDUE)" if view.overdue else text


def facts_html(view: RepairView) -> str:
    whose = "the patient's own" if view.own_item else "bought here"
    phone = f", {escape(view.patient_phone)}" if view.patient_phone else ""
    approval = view.approval_text
    approval_html = escape(approval) if view.estimate_approved else f"<b>{escape(approval)}</b>"
    rows = [
        ("Patient", f"<b>{escape(view.patient_name)}</b> ({escape(view.patient_code)}){phone}"),
        ("Item", f"{escape(view.item_description)} ({whose})"),
        ("Fault", escape(view.issue_description)),
        ("Estimate", f"<b>{view.estimate_text}</b> (parts {view.parts_text} + labour {view.labour_text}, GST "
                     f"included). {approval_html}"),
        ("Dates", f"Received {day_text(view.received_on)}; {escape(promised_words(view))}"
                  + (f"; ready {clinic_time.show_time(view.ready_at)}" if view.ready_at else "")
                  + (f"; delivered {clinic_time.show_time(view.delivered_at)}" if view.delivered_at else "")),
    ]  # fmt: skip
    if view.notes:
        rows.append(("Notes", escape(view.notes)))
    cells = "".join(f"<tr><td style='color:#4a5a66;padding-right:8px'>{k}</td><td>{v}</td></tr>" for k, v in rows)
    return f"<table cellspacing=2>{cells}</table>"


def row_of(*widgets: QWidget | str) -> QWidget:
    """Widgets side by side on one row of a step (a string is a label); focus goes to the first field."""
    holder = QWidget()
    line = QHBoxLayout(holder)
    line.setContentsMargins(0, 0, 0, 0)
    for w in widgets:
        line.addWidget(QLabel(w) if isinstance(w, str) else w, 0 if isinstance(w, (str, QPushButton)) else 1)
    first = next((w for w in widgets if isinstance(w, QWidget) and not isinstance(w, QPushButton)), None)
    if first is not None:
        holder.setFocusProxy(first)
    return holder


class StepBox(QFrame):
    """A step with fields: ``rows`` are (label, the row's widget (``row_of``), the service fields it holds);
    ``edits`` the field widgets by service field. Enter in a field or the button runs ``action``; ``show_error``
    puts a refusal under the row of its field (else above the rows) and the cursor in that field."""

    def __init__(self, rows: list[tuple[str, QWidget, tuple[str, ...]]], edits: dict[str, QWidget],
                 button: QPushButton, action: Callable[[], None]) -> None:  # fmt: skip
        super().__init__()
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.button = button
        self.edits = edits
        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        for text, widget, _fields in rows:
            form.addRow(text, widget)
        for widget in edits.values():
            on_enter(widget, action)
            if hasattr(widget, "lineEdit") and widget.lineEdit() is not None:  # an editable combo box
                on_enter(widget.lineEdit(), action)
        self.general = QLabel()
        self.errors = FieldErrors(form, {f: w for _t, w, fields in rows for f in fields}, self.general)
        box = QVBoxLayout(self)
        box.setContentsMargins(8, 4, 8, 4)
        box.addWidget(self.general)
        box.addLayout(form)
        button.clicked.connect(lambda _=False: action())

    def show_error(self, exc: BaseException) -> None:
        self.errors.show(exc)
        field = exc.field if isinstance(exc, ValidationError) else ""
        target = self.edits.get(field) or next(iter(self.edits.values()), None)
        if target is not None:
            target.setFocus()

    def open(self) -> None:
        self.errors.clear()
        self.show()
        first = next(iter(self.edits.values()), None)
        if first is not None:
            first.setFocus()
