"""A new optical order: the patient (found by name, phone or code), their latest valid eye prescription shown
read-only (or an outside one typed in), the frame from the catalogue (or the patient's own), the lens chosen
among those that can be made in this prescription's powers (``lens_fit.makeable_lenses``) with its coating and
tint, other items (contact lenses, solution), the fitting measurements (prefilled from the prescription and
the frame), the promised date and the lab, a discount per line and the running total.

Save draft (Ctrl+S) writes a draft (``orders.create_order``, one request id per form: a double click or a
retry makes one order); Confirm order (Ctrl+Enter) saves it and confirms it (stock off the shelf, charges for
billing). A refusal shows in the service's words under the field it names; nothing is lost: Esc goes back to
the board with the form kept as it is, and only Clear (or a saved order) empties it. A saved draft is edited
in this form too, filled with the draft (``order_edit.DraftEditor``).
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from hms_desktop.changes import Changes
from hms_desktop.services.optical.catalog import find_products
from hms_desktop.services.optical.catalog_views import ProductView
from hms_desktop.services.optical.order_input import OrderInput
from hms_desktop.services.optical.order_views import OrderView, latest_eye_rx_for_order
from hms_desktop.services.optical.orders import confirm_order, create_order
from hms_desktop.services.reception.patient_search import PatientSummary
from ui import clinic_time
from ui.docks.optical.fitting import FittingBox
from ui.docks.optical.lens_choice import LensChoice
from ui.docks.optical.order_common import Messages, error_label, shortcut
from ui.docks.optical.order_lines import Line, LinesTable
from ui.docks.optical.product_pick import ProductPick, product_text
from ui.docks.optical.rx_panel import RxPanel
from ui.docks.pharmacy.common import message_of
from ui.docks.pharmacy.patient_pick import PatientPick
from ui.qt import (
    QCheckBox,
    QDate,
    QDateEdit,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
    Signal,
    isValid,
)
from ui.session import AppSession
from ui.worker import background, run

LINE_FIELD = re.compile(r"lines\[(\d+)\]\.(\w+)")
PROMISE_DAYS = 5
LENS_LIMIT = 500


class OrderForm(QWidget):
    saved = Signal(object, str)  # the order saved (an OrderView), and a message for its page ("" for none)
    back = Signal()
    saved_words = "Saved as draft {code}."

    def __init__(self, session: AppSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.request_id = uuid.uuid4()
        self.busy = False
        self.frame: ProductView | None = None
        self.extras: list[Line] = []
        self.general = error_label("formError")
        self.messages = Messages(self.general)
        self.patient = PatientPick(session, "orderPatient")
        self.patient.chosen.connect(self._patient_chosen)
        self.patient_error = error_label()
        self.messages.add("patient_id", self.patient.search, self.patient_error)
        self.rx = RxPanel(self.messages)
        self.rx.changed.connect(self._rx_changed)
        self.fitting = FittingBox(self.messages)
        # frame
        self.frame_pick = ProductPick(session, "frameSearch", ("frame", "sunglasses"),
                                      "Frame or sunglasses: name, model, SKU or scan the tag")  # fmt: skip
        self.frame_pick.picked.connect(self.choose_frame)
        self.frame_chosen = QLabel("No frame chosen.")
        self.frame_chosen.setObjectName("frameChosen")
        self.frame_chosen.setWordWrap(True)
        self.own_frame = QCheckBox("Patient's own frame (lenses fitted to it)")
        self.own_frame.setObjectName("ownFrame")
        self.own_frame.toggled.connect(self._own_frame)
        self.lens = LensChoice()
        self.lens.changed.connect(self._rebuild)
        self.item_pick = ProductPick(session, "itemSearch", ("contact_lens", "solution", "accessory"),
                                     "Other items: contact lenses, solution, accessories")  # fmt: skip
        self.item_pick.picked.connect(self.add_item)
        self.lines = LinesTable()
        self.lines.removed.connect(self._remove_item)
        # date, lab, notes
        self.promised = QDateEdit()
        self.promised.setObjectName("promisedDate")
        self.promised.setDisplayFormat("dd-MM-yyyy")
        self.promised.setCalendarPopup(True)
        self.promised.setMaximumWidth(150)
        self.lab = QLineEdit()
        self.lab.setObjectName("orderLab")
        self.lab.setPlaceholderText("Essilor Rx lab, Peenya")
        self.notes = QLineEdit()
        self.notes.setObjectName("orderNotes")
        self.notes.setPlaceholderText("For the lab or the counter (optional)")
        self.save_button = QPushButton("Save draft")
        self.save_button.setObjectName("saveDraft")
        self.save_button.setToolTip("Save the order as a draft (Ctrl+S)")
        self.save_button.clicked.connect(lambda _=False: self.save(confirm=False))
        self.confirm_button = QPushButton("Confirm order")
        self.confirm_button.setObjectName("confirmNew")
        self.confirm_button.setToolTip("Save and confirm: the frame leaves the shelf, billing sees it (Ctrl+Enter)")
        self.confirm_button.clicked.connect(lambda _=False: self.save(confirm=True))
        self.clear_button = QPushButton("Clear form")
        self.clear_button.setObjectName("clearOrder")
        self.clear_button.setToolTip("Start the form again")
        self.clear_button.clicked.connect(lambda _=False: self.reset())
        self.back_button = QPushButton("Back to board")
        self.back_button.setToolTip("The board; the form stays as it is (Esc)")
        self.back_button.clicked.connect(lambda _=False: self.back.emit())
        self.title = QLabel("New optical order")
        self.title.setObjectName("formTitle")
        self._layout(self.back_button)
        shortcut(self, "Ctrl+S", lambda: self.save(confirm=False))
        shortcut(self, "Ctrl+Return", lambda: self.save(confirm=True))
        shortcut(self, "Ctrl+Enter", lambda: self.save(confirm=True))
        shortcut(self, "Escape", self.back.emit)
        self.fitting.order[-1].returnPressed.connect(self.item_pick.search.setFocus)
        for line in (self.lab, self.notes):
            line.returnPressed.connect(lambda: self.save(confirm=False))
        session.changes.changed.connect(self.on_changes)
        self.catalogue_stale = False
        self.reset()

    def _layout(self, back: QPushButton) -> None:
        """Two columns in a scroll area (patient, prescription, fitting | frame, lens, lines, date and lab), the
        title with Back above and the total with Save and Confirm below, always in view."""
        who = QGroupBox("Patient")
        who_box = QVBoxLayout(who)
        who_box.addWidget(self.patient)
        who_box.addWidget(self.patient_error)
        rx_box = QGroupBox("Prescription")
        QVBoxLayout(rx_box).addWidget(self.rx)
        fit = QGroupBox("Fitting measurements")
        QVBoxLayout(fit).addWidget(self.fitting)
        left = QVBoxLayout()
        for w in (who, rx_box, fit):
            left.addWidget(w)
        left.addStretch()
        frame_box = QGroupBox("Frame")
        fb = QVBoxLayout(frame_box)
        for part in (self.frame_pick, self.frame_chosen, self.own_frame):
            fb.addWidget(part)
        lens_box = QGroupBox("Lens")
        QVBoxLayout(lens_box).addWidget(self.lens)
        lines_box = QGroupBox("Lines, discounts and other items")
        lb = QVBoxLayout(lines_box)
        lb.addWidget(self.item_pick)
        lb.addWidget(self.lines, 1)
        self.messages.add("lines", self.lines.table, self.lines.error)
        notes = QHBoxLayout()
        notes.addWidget(QLabel("Notes"))
        notes.addWidget(self.notes, 1)
        lb.addLayout(notes)
        notes_error = error_label()
        lb.addWidget(notes_error)
        self.messages.add("notes", self.notes, notes_error)
        right = QVBoxLayout()
        right.addWidget(frame_box)
        right.addWidget(lens_box)
        right.addWidget(lines_box)
        right.addStretch()
        body = QWidget()
        columns = QHBoxLayout(body)
        columns.setContentsMargins(0, 0, 4, 0)
        columns.addLayout(left, 1)
        columns.addLayout(right, 1)
        scroll = QScrollArea()
        scroll.setObjectName("orderFormScroll")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(body)
        head = QHBoxLayout()
        head.addWidget(self.title)
        head.addStretch()
        head.addWidget(self.clear_button)
        head.addWidget(back)
        bar_error = error_label()  # the promised date's or the lab's refusal, just above them
        self.messages.add("promised_date", self.promised, bar_error)
        self.messages.add("lab_name", self.lab, bar_error)
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Promised for"))
        bar.addWidget(self.promised)
        bar.addWidget(QLabel("Lab"))
        bar.addWidget(self.lab, 1)
        for b in (self.save_button, self.confirm_button):
            bar.addWidget(b)
        bar.addWidget(self.lines.total)
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addLayout(head)
        box.addWidget(scroll, 1)
        box.addWidget(self.general)
        box.addWidget(bar_error)
        box.addLayout(bar)

    # --- the form's life

    def reset(self) -> None:
        """An empty form with a new request id (the lens list read again from the catalogue)."""
        self.request_id = uuid.uuid4()
        self.patient.choose(None)
        self.rx.show_rx(None, patient_chosen=False)
        self.frame, self.extras = None, []
        self.own_frame.setChecked(False)
        self.frame_chosen.setText("No frame chosen.")
        self.fitting.clear()
        self.lens.clear()
        self.lab.clear()
        self.notes.clear()
        today = clinic_time.today()
        self.promised.setMinimumDate(QDate(today.year, today.month, today.day))
        self.promised.setDate(clinic_time.qtoday().addDays(PROMISE_DAYS))
        self.messages.clear()
        self.lines.discounts = {}
        self._buttons()
        self.catalogue_stale = True  # read again for each new order, once the form shows
        self._read_catalogue()

    def on_changes(self, changes: Changes) -> None:
        """A lens added to the catalogue or changed (here or on another PC): the lens list is read again."""
        if changes.touches("optical_products"):
            self.catalogue_stale = True
            self._read_catalogue()

    def showEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        self._read_catalogue()

    def _read_catalogue(self) -> None:
        if self.catalogue_stale and self.isVisible() and self.session.can("optical.view"):
            self.catalogue_stale = False
            background(self, find_products, self.session.ctx, "", "lens", False, LENS_LIMIT, done=self._lenses_read,
                       failed=self._failed_quietly)  # fmt: skip

    def start(self) -> None:
        """Shown for a new order: the patient's field first (a form left half-filled is kept)."""
        self.patient.search.setFocus()

    def _failed_quietly(self, exc: BaseException) -> None:
        if isValid(self):
            self.general.setText(message_of(exc))
            self.general.show()

    def _buttons(self) -> None:
        can = self.session.can("optical.orders") and not self.busy
        self.save_button.setEnabled(can)
        self.confirm_button.setEnabled(can)

    # --- patient and prescription

    def _patient_chosen(self, p: PatientSummary | None) -> None:
        self.rx.show_rx(None, patient_chosen=p is not None)
        if p is not None:
            background(self, latest_eye_rx_for_order, self.session.ctx, p.id, done=lambda rx: self._rx_read(p, rx),
                       failed=self._failed_quietly)  # fmt: skip

    def _rx_read(self, p: PatientSummary, found: Any) -> None:
        if not isValid(self) or self.patient.patient is None or self.patient.patient.id != p.id:
            return
        self.rx.show_rx(found)
        if found is not None:
            self.fitting.prefill_pds(self.rx.pd_of("right"), self.rx.pd_of("left"),
                                     found.pd_text if found.pd_mm_tenths else "")  # fmt: skip
        (self.frame_pick.search if found is not None else self.rx.cells["right_sphere"]).setFocus()

    def _rx_changed(self) -> None:
        self.lens.set_powers(*self.rx.powers())

    # --- frame, lens, items

    def choose_frame(self, p: ProductView) -> None:
        self.frame = p
        self.own_frame.setChecked(False)
        short = p.is_stocked and p.stock_quantity <= 0
        warn = " <span style='color:#b00020'>Out of stock: receive it first or choose another.</span>" if short else ""
        self.frame_chosen.setText(f"<b>{product_text(p)}</b>{warn}")
        self.fitting.set_frame(p)
        self._rebuild()
        self.lens.lens.setFocus()

    def _own_frame(self, own: bool) -> None:
        if own:
            self.frame = None
            self.frame_chosen.setText("The patient's own frame: measure its box size below.")
            self.fitting.set_frame(None)
        elif self.frame is None:
            self.frame_chosen.setText("No frame chosen.")
        self.frame_pick.setEnabled(not own)
        self._rebuild()

    def _lenses_read(self, found: list[ProductView]) -> None:
        if isValid(self):
            self.lens.set_catalogue(found)

    def add_item(self, p: ProductView) -> None:
        key = f"item:{p.id}"
        found = next((x for x in self.extras if x.key == key), None)
        if found is not None:
            found.quantity += 1
        else:
            self.extras.append(Line(key=key, product=p))
        self._rebuild()

    def _remove_item(self, key: str) -> None:
        self.extras = [x for x in self.extras if x.key != key]
        self._rebuild()

    def _rebuild(self) -> None:
        lines = [Line(key="frame", product=self.frame)] if self.frame is not None else []
        lens = self.lens.line()
        self.lines.set_lines([*lines, *([lens] if lens else []), *self.extras])
        self._tab_order()

    def _tab_order(self) -> None:
        """Tab in the order an optician fills the form: patient, prescription, frame, lens, measurements, other
        items and the discounts on the lines, notes, the date and the lab, Save, Confirm."""
        rx = [self.rx.outside_box, *self.rx.cells.values(), self.rx.pd, self.rx.prescriber]
        lens = [self.lens.lens, self.lens.eye, self.lens.coating, self.lens.tint]
        chain = [self.patient.search, *rx, self.frame_pick.search, self.own_frame, *lens, *self.fitting.order,
                 self.item_pick.search, self.lines.table, *self.lines.edits, self.notes, self.promised, self.lab,
                 self.save_button, self.confirm_button]  # fmt: skip
        for a, b in zip(chain, chain[1:], strict=False):
            QWidget.setTabOrder(a, b)

    # --- saving

    def data(self) -> OrderInput:
        lens = self.lens.line()
        if lens is not None:  # the coating and tint as they read now
            for line in self.lines.lines:
                if line.key == "lens":
                    line.options = lens.options
        patient = self.patient.patient
        assert patient is not None
        (rx_id, outside), mm = self.rx.choice(), self.fitting.text
        return OrderInput(
            patient_id=patient.id,
            lines=self.lines.inputs(),
            optical_prescription_id=rx_id,
            outside_rx=outside,
            right_pd=mm("right_pd"),
            left_pd=mm("left_pd"),
            right_fitting_height=mm("right_fitting_height"),
            left_fitting_height=mm("left_fitting_height"),
            box_a=mm("box_a"),
            box_b=mm("box_b"),
            dbl=mm("dbl"),
            promised_date=clinic_time.day_of(self.promised.date()),
            lab_name=self.lab.text(),
            notes=self.notes.text(),
        )  # fmt: skip

    def save(self, confirm: bool) -> None:
        if self.busy or not self.save_button.isEnabled():
            return
        self.messages.clear()
        self.lines.clear_error()
        if self.patient.patient is None:
            self.patient_error.setText("Choose the patient the order is for.")
            self.patient_error.show()
            self.patient.search.setFocus()
            return
        self.busy = True
        self._buttons()
        fn, *args = self.writer()
        run(self, fn, *args, done=lambda view: self._created(view, confirm), failed=self._failed,
            label="Saving the order...")  # fmt: skip

    def writer(self) -> tuple[Any, ...]:
        """The service call that saves the form, with its arguments: a new draft (``order_edit`` updates one)."""
        return create_order, self.session.ctx, self.data(), self.request_id

    def _created(self, view: OrderView, confirm: bool) -> None:
        if not confirm:
            self._finish(view, self.saved_words.format(code=view.code))
            return
        run(self, confirm_order, self.session.ctx, view.id, done=lambda v: self._finish(v, f"{v.code} confirmed."),
            failed=lambda exc: self._finish(view, f"Saved as draft {view.code}, not confirmed: {message_of(exc)}"),
            label="Confirming the order...")  # fmt: skip

    def _finish(self, view: OrderView, message: str) -> None:
        if not isValid(self):
            return
        self.busy = False
        self.reset()
        self.saved.emit(view, message)

    def _failed(self, exc: BaseException) -> None:
        if not isValid(self):
            return
        self.busy = False
        self._buttons()
        field = getattr(exc, "field", "")
        found = LINE_FIELD.match(field or "")
        if found:
            self.messages.clear()
            self.lines.show_error(int(found[1]), found[2], message_of(exc))
            return
        self.messages.show(exc)
