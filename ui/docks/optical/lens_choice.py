"""The order form's lens: chosen among the catalogue's spectacle lenses that can be made in the prescription's
powers (``lens_fit.makeable_lenses``: after transposition, ADD for a multifocal), for both eyes or one, with the
coating and tint the lab is to put on it. Without a prescription the list is empty (lenses are made to one);
"No lens" is for an order of a frame, sunglasses or other items alone."""

from __future__ import annotations

import uuid

from hms_desktop.services.optical.catalog_views import ProductView
from hms_desktop.services.optical.lens_fit import EyeRx, makeable_lenses
from ui.docks.optical.order_common import rs
from ui.docks.optical.order_lines import Line
from ui.qt import QComboBox, QGridLayout, QLabel, QLineEdit, QWidget, Signal

COATINGS = ("", "Anti-reflective", "Blue cut", "Hard coat", "Photochromic", "UV400", "Hydrophobic")
EYE_CHOICES = (("both", "Both eyes"), ("right", "Right eye"), ("left", "Left eye"))
NO_LENS = "No lens (frame, sunglasses or other items only)"


def lens_text(p: ProductView) -> str:
    """ "Hoya progressive 1.60, Rs 6,000.00 a lens" (the type and index added when the name does not say them)."""
    kind = " ".join(x for x in (p.lens_type_label, p.index_text) if x and x.lower() not in p.name.lower())
    return f"{p.name}" + (f" ({kind})" if kind else "") + f", {rs(p.mrp_paise)} a lens"


class LensChoice(QWidget):
    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.catalogue: list[ProductView] = []
        self.lenses: dict[uuid.UUID, ProductView] = {}
        self.powers: tuple[EyeRx | None, EyeRx | None] = (None, None)
        self.kept: dict[str, str] = {}  # a saved line's other options for the lab, kept as they were
        self.lens = QComboBox()
        self.lens.setObjectName("orderLens")
        self.lens.currentIndexChanged.connect(lambda _i: self._chosen())
        self.eye = QComboBox()
        self.eye.setObjectName("lensEye")
        for value, text in EYE_CHOICES:
            self.eye.addItem(text, value)
        self.eye.currentIndexChanged.connect(lambda _i: self.changed.emit())
        self.coating = QComboBox()
        self.coating.setObjectName("lensCoating")
        self.coating.setEditable(True)
        self.coating.addItems(list(COATINGS))
        self.tint = QLineEdit()
        self.tint.setObjectName("lensTint")
        self.tint.setPlaceholderText("none, Grey 20% ...")
        self.note = QLabel()
        self.note.setObjectName("lensNote")
        self.note.setWordWrap(True)
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.addWidget(QLabel("Lens"), 0, 0)
        grid.addWidget(self.lens, 0, 1, 1, 5)
        grid.addWidget(self.note, 1, 1, 1, 5)
        for c, (label, widget) in enumerate((("For", self.eye), ("Coating", self.coating), ("Tint", self.tint))):
            grid.addWidget(QLabel(label), 2, 2 * c)
            grid.addWidget(widget, 2, 2 * c + 1)
        grid.setColumnStretch(3, 1)
        grid.setColumnStretch(5, 1)
        self.fill()

    def clear(self) -> None:
        self.coating.setCurrentIndex(0)
        self.tint.clear()
        self.kept = {}
        self.set_powers(None, None)

    def set_catalogue(self, found: list[ProductView]) -> None:
        self.catalogue = [p for p in found if p.category == "lens"]
        self.fill()

    def set_powers(self, right: EyeRx | None, left: EyeRx | None) -> None:
        """The prescription's powers: the list keeps what can be made; one eye prescribed chooses that eye."""
        self.powers = (right, left)
        if right is not None and left is None:
            self.eye.setCurrentIndex(1)
        elif left is not None and right is None:
            self.eye.setCurrentIndex(2)
        elif right is not None and left is not None:
            self.eye.setCurrentIndex(0)
        self.fill()

    def fill(self) -> None:
        chosen = self.lens.currentData()
        right, left = self.powers
        fit = makeable_lenses(self.catalogue, right=right, left=left) if (right or left) else []
        self.lenses = {p.id: p for p in fit}
        self.lens.blockSignals(True)
        self.lens.clear()
        self.lens.addItem(NO_LENS, None)
        for p in fit:
            self.lens.addItem(lens_text(p), p.id)
        self.lens.setCurrentIndex(next((i for i in range(self.lens.count()) if self.lens.itemData(i) == chosen), 0))
        self.lens.blockSignals(False)
        if not (right or left):
            self.note.setText("Lenses are made to a prescription: the list fills once there is one.")
        else:
            n = len(fit)
            self.note.setText(f"{n} lens{'' if n == 1 else 'es'} of {len(self.catalogue)} in the catalogue can be "
                              "made in this prescription's powers.")  # fmt: skip
        self._chosen()

    def _chosen(self) -> None:
        lens = self.current()
        for w in (self.eye, self.coating, self.tint):
            w.setEnabled(lens is not None)
        if lens is not None:
            self.coating.setToolTip(f"The lens's own coatings: {lens.coatings or 'none'}")
        self.changed.emit()

    def current(self) -> ProductView | None:
        return self.lenses.get(self.lens.currentData())

    def choose(self, lens_id: uuid.UUID) -> bool:
        i = next((i for i in range(self.lens.count()) if self.lens.itemData(i) == lens_id), -1)
        if i >= 0:
            self.lens.setCurrentIndex(i)
        return i >= 0

    def restore(self, eye: str, options: dict[str, str]) -> None:
        """A saved lens line's eye and options (the coating and tint shown, any others kept as they were)."""
        self.eye.setCurrentIndex(max(self.eye.findData(eye), 0))
        self.coating.setCurrentText(options.get("coating", ""))
        self.tint.setText(options.get("tint", ""))
        self.kept = {k: v for k, v in options.items() if k not in ("coating", "tint")}

    def line(self) -> Line | None:
        lens = self.current()
        if lens is None:
            return None
        options = {**self.kept, "coating": self.coating.currentText().strip(), "tint": self.tint.text().strip()}
        return Line(key="lens", product=lens, eye=str(self.eye.currentData()),
                    options={k: v for k, v in options.items() if v})  # fmt: skip
