"""The Stock tab's two forms: a catalogue medicine (new or edited: every field of ``MedicineInput``, the form,
unit and schedule as drop-downs, the GST rate as percent text, the MRP in rupees) and a batch of opening stock for
the chosen medicine. Each shows the service's refusal under its field; Enter saves; one request id per opening,
so a double-clicked Save adds one medicine or one batch."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from hms_desktop.errors import ValidationError
from hms_desktop.money import clean_rupees, rupees_text
from hms_desktop.services.pharmacy.catalog import MedicineView, create_medicine, update_medicine
from hms_desktop.services.pharmacy.catalog_rules import DRUG_SCHEDULES, MEDICINE_FORMS, MEDICINE_UNITS, MedicineInput
from hms_desktop.services.pharmacy.opening_stock import OpeningStockInput, opening_stock
from ui import clinic_time
from ui.docks.inventory.stock_common import medicine_text, pack_text, plural
from ui.forms import FieldErrors, find_data
from ui.qt import (
    QComboBox,
    QDate,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QKeyEvent,
    QLabel,
    QLineEdit,
    QPushButton,
    Qt,
    QVBoxLayout,
    QWidget,
    Signal,
    isValid,
)
from ui.session import AppSession
from ui.worker import run

SCHEDULE_LABELS = {
    "none": "None (over the counter)",
    "H": "Schedule H (prescription)",
    "H1": "Schedule H1 (prescription, register)",
    "X": "Schedule X (prescription, register)",
}
UNIT_OF_FORM = {"tablet": "tablet", "capsule": "capsule", "syrup": "bottle", "injection": "vial",
                "ointment": "tube", "drops": "bottle", "other": "piece"}  # fmt: skip


def _line(name: str, placeholder: str = "", text: str = "") -> QLineEdit:
    edit = QLineEdit(text)
    edit.setObjectName(name)
    edit.setPlaceholderText(placeholder)
    return edit


def _combo(name: str, items: dict[str, str], current: str) -> QComboBox:
    box = QComboBox()
    box.setObjectName(name)
    for key, label in items.items():
        box.addItem(label, key)
    box.setCurrentIndex(max(0, find_data(box, current)))
    return box


class FormDialog(QDialog):
    """A form with a Save button (Enter), Cancel (Esc), field errors and a busy guard."""

    saved = Signal(object)

    def __init__(self, session: AppSession, title: str, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.session = session
        self.request_id = uuid.uuid4()
        self.busy = False
        self.setWindowTitle(title)
        self.form = QFormLayout()
        self.general = QLabel()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setObjectName("saveForm")
        self.save_button.setToolTip("Save (Enter)")
        for b in self.buttons.findChildren(QPushButton):
            b.setAutoDefault(False)  # Enter is the dialog's own (keyPressEvent)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        self.box = QVBoxLayout(self)
        box = self.box
        box.addWidget(self.general)
        box.addLayout(self.form)
        box.addWidget(self.buttons)

    def rows(self, rows: list[tuple[str, str, QWidget]]) -> None:
        """(label, service field, widget) in tab order."""
        for label, _field, widget in rows:
            self.form.addRow(label, widget)
        self.errors = FieldErrors(self.form, {f: w for _l, f, w in rows}, self.general)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt's name
        """Enter saves, from any field (never the dialog's default-button logic: while a save runs, Save is
        disabled and Qt would press Cancel instead); Esc cancels."""
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.save()
            return
        super().keyPressEvent(event)

    def save(self) -> None:
        if self.busy:
            return  # a double click: asked once
        self.errors.clear()
        try:
            call = self.call()
        except ValidationError as exc:  # a field read on screen (an amount in rupees)
            self.errors.show(exc)
            return
        self.busy = True
        self.save_button.setEnabled(False)
        run(self, call, done=self._done, failed=self._failed, label="Saving...")

    def call(self) -> Any:
        raise NotImplementedError

    def _done(self, result: Any) -> None:
        self.busy = False
        self.saved.emit(result)
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        if not isValid(self):
            return
        self.busy = False
        self.save_button.setEnabled(True)
        self.errors.show(exc)


class MedicineDialog(FormDialog):
    def __init__(self, session: AppSession, medicine: MedicineView | None, parent: QWidget | None = None) -> None:
        super().__init__(session, f"Edit {medicine.name} ({medicine.code})" if medicine else "New medicine", parent)
        self.medicine = medicine
        m = medicine
        self.name = _line("medName", "the brand as printed on the pack", m.name if m else "")
        self.generic = _line("medGeneric", "composition, e.g. Paracetamol", m.generic_name if m else "")
        self.strength = _line("medStrength", "e.g. 650 mg, 125 mg/5 ml", m.strength if m else "")
        self.medicine_form = _combo("medForm", {f: f for f in MEDICINE_FORMS}, m.form if m else "tablet")
        self.unit = _combo("medUnit", {u: u for u in MEDICINE_UNITS}, m.unit if m else "tablet")
        self.pack = _line("medPack", "units in one pack, e.g. 15", str(m.pack_size) if m else "1")
        self.maker = _line("medMaker", "", m.manufacturer if m else "")
        self.hsn = _line("medHsn", "4, 6 or 8 digits, e.g. 3004", m.hsn_code if m else "")
        self.gst = _line("medGst", "percent, e.g. 5 or 12", m.gst_rate_percent if m else "")
        self.schedule = _combo("medSchedule", {s: SCHEDULE_LABELS.get(s, s) for s in DRUG_SCHEDULES},
                               m.schedule if m else "none")  # fmt: skip
        self.reorder = _line("medReorder", "units; 0: never flag", str(m.reorder_level) if m else "0")
        self.barcode = _line("medBarcode", "EAN-13, EAN-8 or UPC-A (scan it)", (m.barcode or "") if m else "")
        self.category = _line("medCategory", "e.g. Analgesic", m.category if m else "")
        self.mrp = _line("medMrp", "rupees a pack, e.g. 33.60", rupees_text(m.mrp_paise) if m else "")
        self.pack_hint = QLabel()
        self.pack_hint.setObjectName("hint")
        self.medicine_form.currentIndexChanged.connect(self._form_changed)
        for w in (self.pack, self.medicine_form, self.unit):
            signal = w.textChanged if isinstance(w, QLineEdit) else w.currentIndexChanged
            signal.connect(lambda *_a: self._pack_hint())
        self.rows([
            ("Brand name *", "name", self.name), ("Generic name", "generic_name", self.generic),
            ("Strength", "strength", self.strength), ("Form", "form", self.medicine_form),
            ("Selling unit", "unit", self.unit), ("Pack size *", "pack_size", self.pack),
            ("Manufacturer", "manufacturer", self.maker), ("HSN code *", "hsn_code", self.hsn),
            ("GST rate % *", "gst_rate_percent", self.gst), ("Schedule", "schedule", self.schedule),
            ("Reorder level", "reorder_level", self.reorder), ("Pack barcode", "barcode", self.barcode),
            ("Category", "category", self.category), ("MRP (Rs a pack)", "mrp_paise", self.mrp),
        ])  # fmt: skip
        self.form.addRow("", self.pack_hint)
        self._pack_hint()
        self.setMinimumWidth(560)

    def _form_changed(self) -> None:
        unit = UNIT_OF_FORM.get(str(self.medicine_form.currentData()))
        if self.medicine is None and unit is not None:  # a new medicine: the usual unit of its form
            self.unit.setCurrentIndex(max(0, find_data(self.unit, unit)))

    def _pack_hint(self) -> None:
        pack = self.pack.text().strip()
        size = int(pack) if pack.isdigit() and int(pack) > 0 else 1
        unit, form = str(self.unit.currentData()), str(self.medicine_form.currentData())
        self.pack_hint.setText(
            f"Sold and counted in {plural(unit)}; one pack is a {pack_text(form, unit, size)}. MRP is per pack."
        )

    def data(self) -> MedicineInput:
        return MedicineInput(
            name=self.name.text(), generic_name=self.generic.text(), strength=self.strength.text(),
            form=str(self.medicine_form.currentData()), unit=str(self.unit.currentData()),
            pack_size=self.pack.text().strip(), manufacturer=self.maker.text(), hsn_code=self.hsn.text(),
            gst_rate_percent=self.gst.text().strip(), schedule=str(self.schedule.currentData()),
            reorder_level=self.reorder.text().strip() or "0", barcode=self.barcode.text().strip() or None,
            category=self.category.text(), mrp_paise=clean_rupees(self.mrp.text() or "0", "mrp_paise"),
        )  # fmt: skip

    def call(self) -> Any:
        data, ctx, rid = self.data(), self.session.ctx, self.request_id
        if self.medicine is None:
            return lambda: create_medicine(ctx, data, request_id=rid)
        mid = self.medicine.id
        return lambda: update_medicine(ctx, mid, data)


class OpeningStockDialog(FormDialog):
    """A batch already on the shelf at go-live: batch, expiry, units, MRP and cost per pack, location."""

    def __init__(self, session: AppSession, medicine: Any, parent: QWidget | None = None) -> None:
        super().__init__(session, f"Opening stock of {medicine_text(medicine.name, medicine.strength)}", parent)
        self.medicine = medicine
        self.batch = _line("openBatch", "as printed on the pack")
        self.expiry = QDateEdit()
        self.expiry.setObjectName("openExpiry")
        self.expiry.setCalendarPopup(True)
        self.expiry.setDisplayFormat("dd-MM-yyyy")
        self.expiry.setMinimumDate(clinic_time.qtoday())
        in_a_year = clinic_time.today() + timedelta(days=365)
        self.expiry.setDate(QDate(in_a_year.year, in_a_year.month, in_a_year.day))
        self.units = _line("openUnits", f"{plural(medicine.unit)} on the shelf (not packs)")
        self.mrp = _line("openMrp", "rupees a pack, as printed")
        self.cost = _line("openCost", "rupees a pack")
        self.location = _line("openLocation", "shelf or rack, e.g. Rack A2")
        self.rows([
            ("Batch number *", "batch_number", self.batch), ("Expiry *", "expiry_date", self.expiry),
            (f"Units ({plural(medicine.unit)}) *", "units", self.units), ("MRP (Rs a pack) *", "mrp_paise", self.mrp),
            ("Cost (Rs a pack) *", "cost_price_paise", self.cost), ("Location", "location", self.location),
        ])  # fmt: skip
        pack = pack_text(medicine.form, medicine.unit, medicine.pack_size)
        self.note = QLabel(f"One pack is a {pack}: enter the units, and MRP and cost per pack.")
        self.note.setWordWrap(True)
        self.form.addRow("", self.note)
        heading = QLabel(f"<b>{medicine_text(medicine.name, medicine.strength)}</b> ({medicine.code}): a batch "
                         "already on the shelf")  # fmt: skip
        self.box.insertWidget(0, heading)
        self.setMinimumWidth(480)

    def call(self) -> Any:
        units = self.units.text().strip().replace(",", "")
        data = OpeningStockInput(
            medicine_id=self.medicine.id, batch_number=self.batch.text(),
            expiry_date=clinic_time.day_of(self.expiry.date()),
            units=int(units) if units.lstrip("-").isdigit() else 0,
            mrp_paise=clean_rupees(self.mrp.text(), "mrp_paise"),
            cost_price_paise=clean_rupees(self.cost.text(), "cost_price_paise"), location=self.location.text(),
        )  # fmt: skip
        ctx, rid = self.session.ctx, self.request_id
        return lambda: opening_stock(ctx, data, request_id=rid)
