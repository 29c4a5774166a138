"""The Catalogue tab's product form. Its fields follow the category: a frame (and sunglasses) its brand, model,
colour, material, rim type and box size A / B / DBL / temple in mm; a spectacle lens its type, index, coatings,
tint and the power range it is made in (SPH, CYL in minus form, ADD for bifocal, progressive and office lenses);
a contact lens its type, base curve, diameter, replacement schedule and powers; a solution or an accessory the
basics. Every product has its MRP (rupees, GST included), cost, HSN (blank: the category's usual code), GST rate
(blank: the optical tax rule's), barcode, reorder level and whether it is kept in stock or made to order.

For a user holding ``optical.catalog``: Save (Enter in a field, Ctrl+S) creates the product (one request id per
new form, so a double click adds one) or changes the one shown; Retire takes it out of the searches and Restore
brings it back. A refusal is shown in the service's words under its field (else above the fields). For anyone
else the form shows the product read-only."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from functools import partial
from typing import Any

from hms_desktop.money import rupees_text
from hms_desktop.services.optical import refraction as rx
from hms_desktop.services.optical.catalog import create_product, set_active, update_product
from hms_desktop.services.optical.catalog_rules import (
    CATEGORY_LABELS,
    CONTACT_LENS_TYPES,
    LENS_TYPE_LABELS,
    NEEDS_ADD,
    REPLACEMENT_SCHEDULES,
    RIM_TYPES,
    SPECTACLE_LENS_TYPES,
    ProductInput,
)
from hms_desktop.services.optical.catalog_views import ProductView
from hms_desktop.services.pharmacy.catalog_rules import percent_text
from ui.docks.optical.catalog_fields import FieldGrid
from ui.docks.pharmacy.common import label, message_of
from ui.forms import find_data
from ui.qt import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QKeySequence,
    QLabel,
    QLineEdit,
    QPushButton,
    QShortcut,
    Qt,
    QVBoxLayout,
    QWidget,
    Signal,
    isValid,
)
from ui.session import AppSession
from ui.worker import run

FRAMES = ["model", "color", "material", "rim_type", "frame_a", "frame_b", "frame_dbl", "temple"]
POWERS = ["sphere_min", "sphere_max", "cylinder_min", "cylinder_max", "add_min", "add_max"]
LAYOUT: dict[str, list[str]] = {
    "frame": FRAMES,
    "sunglasses": [*FRAMES, "coatings", "tint"],
    "lens": ["lens_type", "lens_index", "material", "coatings", "tint", "", *POWERS],
    "contact_lens": ["lens_type", "replacement_schedule", "base_curve", "diameter", "tint", "", *POWERS],
    "solution": ["size"],
    "accessory": ["model", "color", "size"],
}
HEAD = ["name", "category", "brand"]
TAIL = ["mrp", "cost_price", "hsn_code", "gst_rate", "barcode", "reorder_level", "is_stocked"]
TEXT_FIELDS = ("name", "brand", "model", "color", "material", "size", "frame_a", "frame_b", "frame_dbl", "temple",
               "lens_index", "coatings", "tint", *POWERS, "base_curve", "diameter", "hsn_code", "gst_rate", "mrp",
               "cost_price", "reorder_level", "barcode")  # fmt: skip
LABELS = {
    "name": ("Name", "e.g. Titan TE-1021 black"), "brand": ("Brand", ""), "model": ("Model", ""),
    "color": ("Colour", ""), "material": ("Material", "e.g. Acetate, TR90, CR-39"),
    "size": ("Size", "e.g. 360 ml"), "frame_a": ("A (mm)", "lens width, e.g. 52"),
    "frame_b": ("B (mm)", "lens height, e.g. 38"), "frame_dbl": ("DBL (mm)", "bridge, e.g. 18"),
    "temple": ("Temple (mm)", "e.g. 140"), "lens_index": ("Index", "e.g. 1.60"),
    "coatings": ("Coatings", "e.g. Anti-reflective, Blue cut"), "tint": ("Tint", "e.g. Grey 80%"),
    "sphere_min": ("SPH from", "e.g. -8.00"), "sphere_max": ("SPH to", "e.g. +6.00"),
    "cylinder_min": ("CYL from", "minus form, e.g. -4.00"), "cylinder_max": ("CYL to", "blank: 0.00"),
    "add_min": ("ADD from", "e.g. +0.75"), "add_max": ("ADD to", "e.g. +3.50"),
    "base_curve": ("BC (mm)", "base curve, e.g. 8.6"), "diameter": ("DIA (mm)", "diameter, e.g. 14.2"),
    "hsn_code": ("HSN", "blank: the category's usual code"), "gst_rate": ("GST %", "blank: the tax rule's"),
    "mrp": ("MRP (Rs)", "GST included, e.g. 2,499.50"), "cost_price": ("Cost (Rs)", "blank: 0"),
    "reorder_level": ("Reorder at", "0: no alert"), "barcode": ("Barcode", "EAN on the box, or blank"),
}  # fmt: skip


def words(key: str) -> str:
    return key.replace("_", " ")


def choice(name: str, items: list[tuple[str, str]]) -> QComboBox:
    box = QComboBox()
    box.setObjectName(name)
    for key, text in items:
        box.addItem(text, key)
    return box


def power(value: int | None) -> str:
    return "" if value is None else rx.format_power(value)


def number(value: int | None) -> str:
    return "" if value is None else str(value)


def texts_of(p: ProductView) -> dict[str, str]:
    """The form's text fields as the product stands."""
    return {
        "name": p.name, "brand": p.brand, "model": p.model, "color": p.color, "material": p.material,
        "size": p.size, "frame_a": number(p.frame_a_mm), "frame_b": number(p.frame_b_mm),
        "frame_dbl": number(p.frame_dbl_mm), "temple": number(p.temple_mm), "lens_index": p.index_text,
        "coatings": p.coatings, "tint": p.tint, "sphere_min": power(p.sphere_min), "sphere_max": power(p.sphere_max),
        "cylinder_min": power(p.cylinder_min), "cylinder_max": power(p.cylinder_max), "add_min": power(p.add_min),
        "add_max": power(p.add_max), "base_curve": p.base_curve_text, "diameter": p.diameter_text,
        "hsn_code": p.hsn_code, "gst_rate": percent_text(p.gst_rate_basis_points), "mrp": rupees_text(p.mrp_paise),
        "cost_price": rupees_text(p.cost_price_paise), "reorder_level": str(p.reorder_level),
        "barcode": p.barcode or "",
    }  # fmt: skip


class CatalogForm(QWidget):
    saved = Signal(object)  # the ProductView saved, retired or restored
    shown = Signal(object)  # the ProductView now in the form (None: a new product, or none)

    def __init__(self, session: AppSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.editor = session.can("optical.catalog")
        self.product: ProductView | None = None
        self.request_id = uuid.uuid4()
        self.busy = False
        self.touched = False  # typed into since the form was filled
        self.title = QLabel()
        self.title.setObjectName("formTitle")
        self.title.setWordWrap(True)
        self.note = label("catalogNote")
        self.general = label("formError")
        self.general.hide()
        self.info = label("catalogInfo")
        self.info.hide()
        self.grid = FieldGrid()
        self.edits: dict[str, QLineEdit] = {}
        for name in TEXT_FIELDS:
            text, hint = LABELS[name]
            edit = QLineEdit()
            edit.setObjectName(f"product_{name}")
            edit.setPlaceholderText(hint)
            edit.textEdited.connect(self._typed)
            edit.returnPressed.connect(self.save)
            self.edits[name] = edit
            self.grid.add(name, text, edit, wide=name == "name")
        self.category = choice("product_category", [(k, v.capitalize()) for k, v in CATEGORY_LABELS.items()])
        self.lens_type = QComboBox()
        self.lens_type.setObjectName("product_lens_type")
        self.rim_type = choice("product_rim_type", [(k, words(k).capitalize() or "Not given") for k in RIM_TYPES])
        self.schedule = choice("product_replacement_schedule", [(k, words(k).capitalize() or "Not given")
                                                                 for k in REPLACEMENT_SCHEDULES])  # fmt: skip
        self.stocked = QCheckBox("Kept in stock (untick: made to order for each patient)")
        self.stocked.setObjectName("product_is_stocked")
        for combo in (self.category, self.lens_type, self.rim_type, self.schedule):
            combo.setStyleSheet("QComboBox:disabled { color: #1f2d38; }")  # read-only, yet readable
        self.grid.add("category", "Category", self.category)
        self.grid.add("lens_type", "Lens type", self.lens_type)
        self.grid.add("rim_type", "Rim", self.rim_type)
        self.grid.add("replacement_schedule", "Replace", self.schedule, tip="The replacement schedule")
        self.grid.add("is_stocked", "", self.stocked, wide=True)
        self.grid.add("", "", QWidget())  # an empty cell: the power range starts on a row of its own
        self.category.currentIndexChanged.connect(lambda _i: self._category_changed())
        self.lens_type.currentIndexChanged.connect(lambda _i: self._arrange())
        for combo in (self.rim_type, self.schedule):
            combo.currentIndexChanged.connect(lambda _i: self._typed())
        self.stocked.toggled.connect(lambda _on: self._typed())
        self.save_button = self._button("Save", "saveProduct", "Save the product (Enter in a field, Ctrl+S)", self.save)
        self.new_button = self._button("New product", "newProduct", "An empty form for a new product (Alt+N)",
                                       lambda: self.show_product(None))  # fmt: skip
        self.active_button = self._button("Retire", "retireProduct", "", self.toggle_active)
        buttons = QHBoxLayout()
        for b in (self.save_button, self.active_button, self.new_button):
            buttons.addWidget(b)
            b.setVisible(self.editor)
        buttons.addStretch()
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.title)
        box.addWidget(self.note)
        box.addWidget(self.general)
        box.addWidget(self.grid)
        box.addWidget(self.info)
        box.addLayout(buttons)
        box.addStretch()
        for seq, slot in (("Ctrl+S", self.save), ("Alt+N", lambda: self.show_product(None))):
            QShortcut(QKeySequence(seq), self, slot, Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.show_product(None)

    def _button(self, text: str, name: str, tip: str, slot: Callable[[], None]) -> QPushButton:
        b = QPushButton(text)
        b.setObjectName(name)
        b.setToolTip(tip)
        b.setAutoDefault(False)
        b.clicked.connect(lambda _=False: slot())
        return b

    # --- showing

    def show_product(self, p: ProductView | None) -> None:
        """Fill the form with ``p`` (None: an empty form for a new product, with a new request id)."""
        if p is None and not self.editor:
            self.product = None
            self.title.setText("Choose a product to see its details")
            self.note.setText("The catalogue is edited by a user allowed to (optical.catalog).")
            self.grid.hide()
            self._buttons()
            self.shown.emit(None)
            return
        self.grid.show()
        self.product = p
        self.grid.clear()
        self.general.hide()
        if p is None:
            self.request_id = uuid.uuid4()
            self.info.hide()
        for name, edit in self.edits.items():
            edit.setText(texts_of(p)[name] if p is not None else "")
            edit.setCursorPosition(0)  # a long value shows its start
            edit.setReadOnly(not self.editor)
            edit.setPlaceholderText(LABELS[name][1] if self.editor else "")
        self.category.blockSignals(True)
        self.category.setCurrentIndex(max(0, find_data(self.category, p.category if p else "frame")))
        self.category.blockSignals(False)
        self._fill_lens_types(p.lens_type if p else None)
        self.rim_type.setCurrentIndex(max(0, find_data(self.rim_type, p.rim_type if p else "")))
        self.schedule.setCurrentIndex(max(0, find_data(self.schedule, p.replacement_schedule if p else "")))
        self.stocked.setChecked(p.is_stocked if p is not None else True)
        for w in (self.category, self.lens_type, self.rim_type, self.schedule, self.stocked):
            w.setEnabled(self.editor)
        self._arrange()
        if p is None:
            self.title.setText("New product")
            self.note.setText("The fields follow the category; a blank HSN or GST takes the usual one.")
        else:
            retired = "" if p.is_active else " (retired)"
            self.title.setText(f"{p.sku}  {p.name}{retired}")
            today = f"GST today {p.tax_rate_text} (HSN {p.hsn_code}); {p.stock_text.lower()}."
            self.note.setText(today if self.editor else f"{today} Read-only: edited by the catalogue's editor.")
        self.touched = False
        self._buttons()
        self.shown.emit(p)

    def _fill_lens_types(self, current: str | None) -> None:
        kind = self.category.currentData()
        types = SPECTACLE_LENS_TYPES if kind == "lens" else CONTACT_LENS_TYPES if kind == "contact_lens" else ()
        self.lens_type.blockSignals(True)
        self.lens_type.clear()
        for t in types:
            self.lens_type.addItem(LENS_TYPE_LABELS[t].capitalize(), t)
        self.lens_type.setCurrentIndex(max(0, find_data(self.lens_type, current)))
        self.lens_type.blockSignals(False)

    def _category_changed(self) -> None:
        self.grid.clear()  # a message about the fields of the other category
        self.general.hide()
        self._fill_lens_types(None)
        kind = self.category.currentData()
        if self.product is None:
            self.stocked.setChecked(kind != "lens")  # spectacle lenses are made to order
        self._typed()
        self._arrange()

    def _arrange(self) -> None:
        names = list(LAYOUT.get(str(self.category.currentData()), []))
        kind = self.lens_type.currentData()
        if kind is not None and kind not in NEEDS_ADD:
            names = [n for n in names if not n.startswith("add_")]
        if kind in ("plano", "spherical"):
            names = [n for n in names if not n.startswith("cylinder_")]
        if kind == "plano":
            names = [n for n in names if not n.startswith("sphere_")]
        self.grid.arrange([*HEAD, *names, *TAIL])

    def _buttons(self) -> None:
        p, idle = self.product, not self.busy
        self.save_button.setEnabled(idle)
        self.active_button.setVisible(self.editor and p is not None)
        self.active_button.setEnabled(idle)
        if p is not None:
            self.active_button.setText("Retire" if p.is_active else "Restore")
            self.active_button.setToolTip("Take it out of the searches (its orders and stock stay)" if p.is_active
                                          else "Bring it back into the searches")  # fmt: skip

    def _typed(self, *_args: Any) -> None:
        self.touched = True

    # --- saving

    def data(self) -> ProductInput:
        shown = set(self.grid.shown)
        text = {n: (e.text() if n in shown else "") for n, e in self.edits.items()}
        combo = {n: (str(b.currentData() or "") if n in shown else "") for n, b in
                 (("lens_type", self.lens_type), ("rim_type", self.rim_type),
                  ("replacement_schedule", self.schedule))}  # fmt: skip
        return ProductInput(category=str(self.category.currentData()), is_stocked=self.stocked.isChecked(),
                            **text, **combo)  # fmt: skip

    def save(self) -> None:
        if not self.editor or self.busy or not self.grid.isVisible():
            return
        p = self.product
        call = partial(update_product, product_id=p.id) if p else partial(create_product, request_id=self.request_id)
        data = self.data()  # read here, on the UI thread
        self._act(lambda ctx: call(ctx, data=data), "Saving the product...", "saved.")

    def toggle_active(self) -> None:
        p = self.product
        if self.editor and p is not None and not self.busy:
            self._act(lambda ctx: set_active(ctx, p.id, not p.is_active), "Saving...",
                      "Restored: it is found by the searches again." if not p.is_active
                      else "Retired: it no longer appears in the searches.")  # fmt: skip

    def _act(self, fn: Callable[[Any], ProductView], label_text: str, done_text: str) -> None:
        self.busy = True
        self.grid.clear()
        self.general.hide()
        self._buttons()
        run(self, fn, self.session.ctx, done=lambda v: self._done(v, done_text), failed=self._failed,
            label=label_text)  # fmt: skip

    def _done(self, view: ProductView, text: str) -> None:
        if not isValid(self):
            return
        self.busy = False
        self.show_product(view)
        self.info.setText(f"{view.sku} {text}")
        self.info.show()
        self.saved.emit(view)

    def _failed(self, exc: BaseException) -> None:
        if not isValid(self):
            return
        self.busy = False
        self._buttons()
        if not self.grid.show_error(exc):
            self.general.setText(message_of(exc))
            self.general.show()
