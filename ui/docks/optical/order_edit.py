"""Editing a saved draft order: the order form (``order_form.OrderForm``) filled with the draft as it was saved:
the patient (who stays: a draft belongs to its patient), the prescription it was made from (or the outside one
typed back in, with its prescriber), the frame or the patient's own frame, the lens with its eye, coating and
tint, the other items, each line's discount, the fitting measurements and box size, the promised date, the lab
and the notes.

Save draft (Ctrl+S) writes it back with ``orders.update_order`` (the lines replaced, the old ones kept as
tombstones; no status step is logged, so the history keeps its one "Draft"); Confirm order (Ctrl+Enter) saves
it and confirms it. A refusal shows in the service's words under its field, as on a new order. Esc (or Back to
the draft) goes back to the draft's page with nothing changed: the next Edit draft starts again from the draft
as saved. The form holds one frame and one lens: a draft with more (made elsewhere) is not opened here.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from hms_desktop.services.optical.catalog import product
from hms_desktop.services.optical.catalog_views import ProductView
from hms_desktop.services.optical.eye_prescription_views import EyeRxView
from hms_desktop.services.optical.order_views import (
    OrderLineView,
    OrderView,
    latest_eye_rx_for_order,
    order,
)
from hms_desktop.services.optical.orders import update_order
from hms_desktop.services.reception.patient_search import PatientSummary, search_patients
from ui.docks.optical.fitting import mm
from ui.docks.optical.order_common import MUTED
from ui.docks.optical.order_form import OrderForm
from ui.docks.optical.order_lines import Line
from ui.qt import QDate, QWidget, isValid
from ui.session import AppSession

FRAMES = ("frame", "sunglasses")
MEASURED = ("right_pd", "left_pd", "right_fitting_height", "left_fitting_height", "box_a", "box_b", "dbl")


@dataclass(frozen=True)
class DraftToEdit:
    view: OrderView
    patient: PatientSummary
    products: dict[uuid.UUID, ProductView]  # each line's product, as the catalogue has it now
    latest_rx: EyeRxView | None  # the patient's latest valid prescription (a draft on an outside one may switch)
    refusal: str  # why the draft is not opened in the form ("" when it is)


def refusal_of(view: OrderView) -> str:
    if not view.editable:
        return f"Order {view.code} is {view.status_label.lower()} now: only a draft can be edited."
    frames = sum(1 for x in view.lines if x.category in FRAMES)
    lenses = sum(1 for x in view.lines if x.category == "lens")
    if frames > 1 or lenses > 1:
        return (f"Draft {view.code} has {frames} frames and {lenses} lenses; the form holds one of each. Cancel it "
                "and make the order again.")  # fmt: skip
    return ""


def draft_to_edit(ctx: Any, order_id: uuid.UUID) -> DraftToEdit:
    """Read on the worker when Edit draft is pressed: the draft as saved now, its patient as the patient field
    shows one, its lines' products (and, for an outside prescription, the patient's latest valid one)."""
    view = order(ctx, order_id)
    refusal = refusal_of(view)
    if refusal:
        return DraftToEdit(view, summary_of(view, []), {}, None, refusal)
    found = search_patients(ctx, view.patient_code).items
    products = {line.product_id: product(ctx, line.product_id) for line in view.lines}
    latest = latest_eye_rx_for_order(ctx, view.patient_id) if view.outside_prescriber else None
    return DraftToEdit(view, summary_of(view, found), products, latest, "")


def summary_of(view: OrderView, found: list[PatientSummary]) -> PatientSummary:
    hit = next((p for p in found if p.id == view.patient_id), None)
    return hit or PatientSummary(id=view.patient_id, code=view.patient_code, full_name=view.patient_name, gender="",
                                 age=None, phone=view.patient_phone or None, date_of_birth=None)  # fmt: skip


def rupees_typed(paise: int) -> str:
    """A discount as typed back: 25000 -> "250", 25050 -> "250.50", 0 -> ""."""
    if not paise:
        return ""
    return str(paise // 100) if paise % 100 == 0 else f"{paise // 100}.{paise % 100:02d}"


class DraftEditor(OrderForm):
    saved_words = "Draft {code} saved."

    def __init__(self, session: AppSession, parent: QWidget | None = None) -> None:
        super().__init__(session, parent)
        self.setObjectName("draftEditor")
        self.order_id: uuid.UUID | None = None
        self.pending: OrderLineView | None = None  # the draft's lens, chosen once the lens list has it
        self.title.setText("Edit draft")
        self.clear_button.hide()
        self.patient.search.hide()  # a draft stays with its patient
        self.back_button.setText("Back to the draft")
        self.back_button.setToolTip("The draft as it was saved; nothing typed here is kept (Esc)")
        self.save_button.setToolTip("Save the changes to the draft (Ctrl+S)")

    def load(self, draft: DraftToEdit) -> None:
        """The form filled with ``draft`` as saved (the lens is chosen once the lens list is read)."""
        v, products = draft.view, draft.products
        self.reset()
        self.order_id = v.id
        self.title.setText(f"Edit draft {v.code}  ·  {v.patient_name}")
        self.patient.blockSignals(True)  # the draft's prescription, not the patient's latest
        self.patient.choose(draft.patient)
        self.patient.blockSignals(False)
        self.patient.current.setText(f"{self.patient.current.text()} <span style='color:{MUTED}'>· a draft stays "
                                     "with its patient: for another, make a new order</span>")  # fmt: skip
        if v.outside_prescriber and v.prescription is not None:
            self.rx.show_rx(draft.latest_rx)
            self.rx.show_outside(v.prescription, v.outside_prescriber)
        else:
            self.rx.show_rx(v.prescription)
        frame = next((x for x in v.lines if x.category in FRAMES), None)
        lens = next((x for x in v.lines if x.category == "lens"), None)
        if frame is not None:
            self.choose_frame(products[frame.product_id])
        elif lens is not None:
            self.own_frame.setChecked(True)
        discounts = {"frame": rupees_typed(frame.discount_paise)} if frame is not None else {}
        for x in v.lines:
            if x is frame or x is lens:
                continue
            key = f"item:{x.product_id}"
            self.extras.append(Line(key=key, product=products[x.product_id], quantity=x.quantity))
            discounts[key] = rupees_typed(x.discount_paise)
        self.lines.discounts = discounts
        self.pending = lens
        self._rebuild()
        self._choose_lens()
        for key in MEASURED:
            self.fitting.fields[key].setText(mm(getattr(v, f"{key}_mm_tenths")))
        self.fitting.hint.clear()
        if v.promised_date is not None:
            day = QDate(v.promised_date.year, v.promised_date.month, v.promised_date.day)
            self.promised.setMinimumDate(min(day, self.promised.minimumDate()))  # an overdue draft shows its date
            self.promised.setDate(day)
        self.lab.setText(v.lab_name)
        self.notes.setText(v.notes)

    def start(self) -> None:
        (self.frame_pick.search if self.frame_pick.isEnabled() else self.lens.lens).setFocus()

    def writer(self) -> tuple[Any, ...]:
        return update_order, self.session.ctx, self.order_id, self.data()

    def _choose_lens(self) -> None:
        line = self.pending
        if line is None:
            return
        self.lines.discounts["lens"] = rupees_typed(line.discount_paise)
        if self.lens.choose(line.product_id):
            self.pending = None
            self.lens.restore(line.eye, line.options)
            self._rebuild()

    def _lenses_read(self, found: list[ProductView]) -> None:
        super()._lenses_read(found)
        line = self.pending
        if not isValid(self) or line is None:
            return
        self._choose_lens()
        if self.pending is not None:  # the list is read and the draft's lens is not in it
            self.pending = None
            self.general.setText(f"The draft's lens, {line.description}, cannot be chosen now (changed in the "
                                 "catalogue, or not made in these powers): choose the lens again.")  # fmt: skip
            self.general.show()
