"""The rules of an optical order that read the store, checked before anything is written (``prepare``).

The prescription: either a stored eye prescription of this patient (``optical_prescription_id``, still valid
today) or an outside one typed in (``outside_rx``: the eye prescription form's rules, and the prescriber's name
is required); not both. An order with a spectacle lens needs one; an order of frames, sunglasses, contact lenses,
solutions or accessories alone may have none.

A line: an active catalogue product. A spectacle lens (category ``lens``) is for the right eye, the left or both,
one lens per eye (quantity 1 for one eye, 2 for both; a quantity of 1 on a both-eyes line means the pair); the
prescription must prescribe that eye, and the lens must be makeable in that eye's power
(``lens_fit.check_makeable``: after transposition to minus cylinder, ADD for a multifocal); the eye's monocular
PD is required (from the form, else the prescription's), and a progressive, bifocal or office lens needs the
eye's fitting height. A frame, sunglasses, a solution or an accessory is for no eye ("none"); a contact lens may
name its eye (its power is the contact lens prescription's, fitted by the optometrist, and is not checked here).

Prices are the catalogue's MRP (GST inside); a line's discount (rupees) is within the acting user's limit
(``security.discounts.check_discount``, per line on its gross); the line total is gross minus discount, its GST
rate the optical rule in force on the clinic's today (``pricing.optical_rate_on``) and its tax the GST inside
the total (``pricing.tax_inside``). The box size defaults from the first frame line's catalogue box.

A stocked product must be on the shelf for every line that takes it (``stock.on_hand``): else ``Conflict``
naming the product, what is there and what the order needs. All of this raises before any write.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass, replace
from datetime import date

from db.models.optical import OpticalPrescription, OpticalProduct
from db.models.patients import Patient
from hms_desktop import stock
from hms_desktop.context import Transaction
from hms_desktop.errors import Conflict, ValidationError
from hms_desktop.money import clean_rupees
from hms_desktop.security.discounts import check_discount
from hms_desktop.series import OPTICAL_PRESCRIPTIONS, next_code
from hms_desktop.services.optical.eye_prescription_input import CleanRx, EyeRxInput, apply_to, clean_input, text_of
from hms_desktop.services.optical.lens_fit import check_makeable
from hms_desktop.services.optical.order_input import (
    Header,
    OrderInput,
    OrderLineInput,
    clean_eye,
    clean_header,
    clean_options,
    clean_quantity,
    lines_of,
)
from hms_desktop.services.optical.pricing import optical_rate_on, tax_inside
from hms_desktop.settings import clinic_settings
from hms_desktop.validation import clean_text

FRAMES = ("frame", "sunglasses")
NO_EYE = ("frame", "sunglasses", "solution", "accessory")
NEEDS_FITTING_HEIGHT = ("progressive", "bifocal", "office")
EYE_WORDS = {"right": "right eye", "left": "left eye", "both": "both eyes", "none": ""}


@dataclass(frozen=True)
class Powers:
    """One eye's distance power and add (hundredths of a dioptre); the PD measured with it (tenths of a mm)."""

    sphere: int
    cylinder: int | None
    axis: int | None
    add: int | None
    pd: int | None


@dataclass(frozen=True)
class Rx:
    """The prescription an order is made to: a stored row, or an outside one still to be written."""

    row: OpticalPrescription | None
    outside: CleanRx | None
    prescriber: str
    eyes: dict[str, Powers | None]

    @property
    def label(self) -> str:
        return f"prescription {self.row.code}" if self.row is not None else "the outside prescription"


@dataclass(frozen=True)
class Line:
    index: int
    product: OpticalProduct
    eye: str
    quantity: int
    unit_price_paise: int
    discount_paise: int
    line_total_paise: int
    tax_basis_points: int
    tax_paise: int
    description: str
    options: dict[str, str]

    @property
    def eyes(self) -> tuple[str, ...]:
        return ("right", "left") if self.eye == "both" else (self.eye,)


@dataclass(frozen=True)
class Prepared:
    patient: Patient
    rx: Rx | None
    header: Header
    lines: tuple[Line, ...]


def patient_row(tx: Transaction, patient_id: object) -> Patient:
    found = tx.session.get(Patient, patient_id) if isinstance(patient_id, uuid.UUID) else None
    if found is None or found.deleted_at is not None:
        raise ValidationError("patient_id", "No such patient (the record may have been archived).")
    return found


def _powers(sphere: int | None, cylinder: int | None, axis: int | None, add: int | None, pd: int | None
            ) -> Powers | None:  # fmt: skip
    return None if sphere is None else Powers(sphere, cylinder, axis, add, pd)


def rx_of_row(row: OpticalPrescription) -> Rx:
    eyes = {
        eye: _powers(*(getattr(row, f"{eye}_{n}") for n in ("sphere", "cylinder", "axis", "add_power", "pd_mm_tenths")))
        for eye in ("right", "left")
    }
    return Rx(row=row, outside=None, prescriber=row.external_prescriber, eyes=eyes)


def _prescription(tx: Transaction, data: OrderInput, patient: Patient, today: date) -> Rx | None:
    outside, rx_id = data.outside_rx, data.optical_prescription_id
    if outside is not None and rx_id is not None:
        raise ValidationError("outside_rx", "Use either the patient's eye prescription or an outside one, not both.")
    if rx_id is not None:
        row = tx.session.get(OpticalPrescription, rx_id) if isinstance(rx_id, uuid.UUID) else None
        if row is None or row.deleted_at is not None:
            raise ValidationError("optical_prescription_id", "No such eye prescription.")
        if row.patient_id != patient.id:
            raise ValidationError("optical_prescription_id", f"Eye prescription {row.code} is another patient's.")
        if row.valid_until is not None and row.valid_until < today:
            raise ValidationError(
                "optical_prescription_id",
                f"Eye prescription {row.code} expired on {row.valid_until:%d %b %Y}; take a new refraction or type "
                "in the outside prescription.",
            )
        return rx_of_row(row)
    if outside is None:
        return None
    prescriber = text_of(getattr(outside, "prescriber", None), "outside_rx.prescriber")
    if not (prescriber or "").strip():
        raise ValidationError(
            "outside_rx.prescriber", "Give the name of the doctor or optometrist who wrote the outside prescription."
        )
    name = clean_text(prescriber, "outside_rx.prescriber", label="The prescriber's name", max_len=200)
    clean = clean_input(
        EyeRxInput(patient_id=patient.id, right=outside.right, left=outside.left, pd=outside.pd, notes=outside.notes),
        today,
    )
    eyes = {eye: _powers(e.sphere, e.cylinder, e.axis, e.add_power, e.pd_mm_tenths) for eye, e in clean.eyes.items()}
    return Rx(row=None, outside=clean, prescriber=name, eyes=eyes)


def _product(tx: Transaction, product_id: object, field: str) -> OpticalProduct:
    found = tx.session.get(OpticalProduct, product_id) if isinstance(product_id, uuid.UUID) else None
    if found is None or found.deleted_at is not None:
        raise ValidationError(field, "Choose a product from the optical catalogue.")
    if not found.is_active:
        raise ValidationError(field, f"{found.name} ({found.sku}) is no longer sold; choose another.")
    return found


def _lens_checks(line: Line, rx: Rx | None) -> None:
    field = f"lines[{line.index}].product_id"
    p = line.product
    if rx is None:
        raise ValidationError(
            "optical_prescription_id",
            f"{p.name} is made to a prescription: choose the patient's eye prescription or type in an outside one.",
        )
    for eye in line.eyes:
        powers = rx.eyes[eye]
        if powers is None:
            raise ValidationError(field, f"{eye.capitalize()} eye: {rx.label} has no power for the {eye} eye, so "
                                         f"{p.name} cannot be made for it.")  # fmt: skip
        check_makeable(p, eye=eye, sphere=powers.sphere, cylinder=powers.cylinder, axis=powers.axis, add=powers.add,
                       field=field)  # fmt: skip


def _line(tx: Transaction, index: int, data: OrderLineInput, today: date) -> Line:
    at = f"lines[{index}]"
    product = _product(tx, data.product_id, f"{at}.product_id")
    eye = clean_eye(data.eye, f"{at}.eye")
    quantity = clean_quantity(data.quantity, f"{at}.quantity")
    if product.category == "lens":
        if eye == "none":
            raise ValidationError(f"{at}.eye", f"{product.name}: choose the eye the lens is for (right, left or both).")
        lenses = 2 if eye == "both" else 1
        if quantity not in (1, lenses):
            raise ValidationError(f"{at}.quantity", f"{product.name} is one lens per eye: the quantity is {lenses}.")
        quantity = lenses
    elif product.category in NO_EYE and eye != "none":
        raise ValidationError(f"{at}.eye", f"{product.name} is not for one eye: choose none.")
    gross = product.mrp_paise * quantity
    typed = text_of(data.discount, f"{at}.discount") or ""
    discount = clean_rupees(typed, f"{at}.discount") if typed.strip() else 0
    check_discount(tx, gross_paise=gross, discount_paise=discount, field=f"{at}.discount")
    total = gross - discount
    rate = optical_rate_on(tx.session, product, today)
    words = EYE_WORDS[eye]
    return Line(
        index=index, product=product, eye=eye, quantity=quantity, unit_price_paise=product.mrp_paise,
        discount_paise=discount, line_total_paise=total, tax_basis_points=rate, tax_paise=tax_inside(total, rate),
        description=f"{product.name}, {words}" if words else product.name,
        options=clean_options(data.options, f"{at}.options"),
    )  # fmt: skip


def _measurements(header: Header, lines: tuple[Line, ...], rx: Rx | None) -> Header:
    """The PDs from the prescription and the box from the frame when the form left them empty; then what the
    lenses need."""

    def rx_pd(eye: str) -> int | None:
        powers = rx.eyes[eye] if rx is not None else None
        return powers.pd if powers is not None else None

    frame = next((line.product for line in lines if line.product.category in FRAMES), None)

    def frame_box(column: str) -> int | None:
        size = getattr(frame, column) if frame is not None else None
        return None if size is None else int(size) * 10

    h = header
    filled = replace(
        h,
        right_pd=h.right_pd if h.right_pd is not None else rx_pd("right"),
        left_pd=h.left_pd if h.left_pd is not None else rx_pd("left"),
        box_a=h.box_a if h.box_a is not None else frame_box("frame_a_mm"),
        box_b=h.box_b if h.box_b is not None else frame_box("frame_b_mm"),
        dbl=h.dbl if h.dbl is not None else frame_box("frame_dbl_mm"),
    )
    for line in lines:
        if line.product.category != "lens":
            continue
        for eye in line.eyes:
            side = eye.capitalize()
            if getattr(filled, f"{eye}_pd") is None:
                raise ValidationError(f"{eye}_pd", f"{side} eye: measure the monocular PD for the lab (25 to 40 mm).")
            if line.product.lens_type in NEEDS_FITTING_HEIGHT and getattr(filled, f"{eye}_fitting_height") is None:
                raise ValidationError(
                    f"{eye}_fitting_height", f"{side} eye: a {line.product.lens_type} lens needs the fitting height."
                )
    return filled


def _stock(tx: Transaction, lines: tuple[Line, ...]) -> None:
    needed = Counter[uuid.UUID]()
    products = {}
    for line in lines:
        if line.product.is_stocked:
            needed[line.product.id] += line.quantity
            products[line.product.id] = line.product
    for product_id, need in needed.items():
        there = stock.on_hand(tx, optical_product_id=product_id)
        if there < need:
            raise Conflict(short_text(products[product_id], there, need) + " Nothing was saved.")


def short_text(product: OpticalProduct, there: int, need: int) -> str:
    """ "Vogue VO-2210 tortoise (OPP-00002) is out of stock (the order needs 1)." """
    name = f"{product.name} ({product.sku})"
    if there == 0:
        return f"{name} is out of stock (the order needs {need}); choose another or receive stock first."
    return f"{name}: only {there} in stock and the order needs {need}."


def prepare(tx: Transaction, data: OrderInput, today: date) -> Prepared:
    """Every check of an order's input (see the module's rules); raises before anything is written."""
    if not isinstance(data, OrderInput):
        raise ValidationError("patient_id", "Fill in the optical order form.")
    patient = patient_row(tx, data.patient_id)
    header = clean_header(data, today)
    raw = lines_of(data)
    rx = _prescription(tx, data, patient, today)
    lines = tuple(_line(tx, i, line, today) for i, line in enumerate(raw))
    for line in lines:
        if line.product.category == "lens":
            _lens_checks(line, rx)
    header = _measurements(header, lines, rx)
    _stock(tx, lines)
    return Prepared(patient=patient, rx=rx, header=header, lines=lines)


def write_prescription(tx: Transaction, prepared: Prepared, today: date) -> uuid.UUID | None:
    """The order's prescription id: the stored one, or the outside one written now (``ORX-...``, no doctor,
    ``external_prescriber`` its author's name)."""
    rx = prepared.rx
    if rx is None:
        return None
    if rx.row is not None:
        return rx.row.id
    assert rx.outside is not None
    row = OpticalPrescription(
        code=next_code(tx, OPTICAL_PRESCRIPTIONS.resolve(clinic_settings(tx.session)), today),
        patient_id=prepared.patient.id, doctor_id=None, appointment_id=None, examined_at=tx.ctx.clock.now(),
        external_prescriber=rx.prescriber,
    )  # fmt: skip
    apply_to(row, rx.outside)
    tx.session.add(row)
    tx.flush()
    return row.id
