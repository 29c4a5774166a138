"""The prescription an order is made to: the patient's latest valid eye prescription, read-only, as opticians
write it (R and L: SPH, CYL, AXIS, ADD, PRISM, PD), or an outside prescription typed in (the powers of each eye,
the binocular PD, and who wrote it). With no valid prescription on file the outside one is offered at once; an
order of sunglasses or solution alone needs neither.

``powers()`` gives each eye's power for the lens list (``lens_fit.makeable_lenses``): the stored prescription's,
or what has been typed so far (an eye whose values do not read yet is left out until they do).

A draft made to an outside prescription is edited with that prescription typed back in (``show_outside``): saved
untouched, the draft keeps the one it has (its id is sent, so nothing is written again); changed, it is a new
outside prescription (what the form does not show, such as a prism or the acuities, kept as it was)."""

from __future__ import annotations

import uuid
from dataclasses import replace
from html import escape
from typing import Any

from hms_desktop.errors import ValidationError
from hms_desktop.services.optical import refraction as rx
from hms_desktop.services.optical.eye_prescription_input import EyeInput
from hms_desktop.services.optical.eye_prescription_views import EyeRxView, EyeView
from hms_desktop.services.optical.lens_fit import EyePower, EyeRx
from hms_desktop.services.optical.order_input import OutsideRxInput
from ui.docks.optical.order_common import Messages, day_text, error_label
from ui.qt import QCheckBox, QGridLayout, QLabel, QLineEdit, Qt, QTimer, QVBoxLayout, QWidget, Signal

HEADS = ("SPH", "CYL", "AXIS", "ADD", "PRISM", "PD")
TYPED = ("sphere", "cylinder", "axis", "add")
EYES = (("right", "R (OD)"), ("left", "L (OS)"))
NO_RX = "No valid eye prescription on file: type in the outside prescription, or order without lenses."


def eye_cells(eye: EyeView) -> tuple[str, ...]:
    if not eye.prescribed:
        return ("-", "", "", "", "", eye.pd_text)
    return (eye.sphere_text, eye.cylinder_text, eye.axis_text, eye.add_text, eye.prism_text, eye.pd_text)


class RxPanel(QWidget):
    changed = Signal()  # the prescription chosen or the powers typed changed

    def __init__(self, messages: Messages, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.stored: EyeRxView | None = None
        self.base: dict[str, EyeInput] = {}  # an outside prescription's eyes as saved (what is not typed here)
        self.notes = ""
        self.origin: tuple[uuid.UUID, OutsideRxInput] | None = None  # a draft's outside prescription, as typed back
        self.titles = ("", "")  # the title for the stored prescription, and for the draft's outside one
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self.title = QLabel("Choose the patient first.")
        self.title.setObjectName("rxTitle")
        self.title.setWordWrap(True)
        self.table = QWidget()
        grid = QGridLayout(self.table)
        grid.setContentsMargins(0, 0, 0, 0)
        self.shown: dict[tuple[str, int], QLabel] = {}
        for c, head in enumerate(HEADS, start=1):
            grid.addWidget(QLabel(f"<b>{head}</b>"), 0, c, Qt.AlignmentFlag.AlignCenter)
        for r, (eye, label) in enumerate(EYES, start=1):
            grid.addWidget(QLabel(f"<b>{label}</b>"), r, 0)
            for c in range(len(HEADS)):
                cell = QLabel()
                cell.setObjectName(f"rx_{eye}_{c}")
                cell.setAlignment(Qt.AlignmentFlag.AlignCenter)
                cell.setMinimumWidth(56)
                self.shown[(eye, c)] = cell
                grid.addWidget(cell, r, c + 1)
        self.extra = QLabel()
        self.extra.setObjectName("rxExtra")
        self.extra.setWordWrap(True)
        self.outside_box = QCheckBox("Outside prescription (typed in from the patient's slip)")
        self.outside_box.setObjectName("outsideRx")
        self.outside_box.toggled.connect(self._toggled)
        self.editor = QWidget()
        edit_grid = QGridLayout(self.editor)
        edit_grid.setContentsMargins(0, 0, 0, 0)
        self.cells: dict[str, QLineEdit] = {}
        for c, head in enumerate(("SPH", "CYL", "AXIS", "ADD"), start=1):
            edit_grid.addWidget(QLabel(f"<b>{head}</b>"), 0, c, Qt.AlignmentFlag.AlignCenter)
        self.error = error_label()
        for r, (eye, label) in enumerate(EYES, start=1):
            edit_grid.addWidget(QLabel(f"<b>{label}</b>"), r, 0)
            for c, name in enumerate(TYPED, start=1):
                typed = QLineEdit()
                typed.setObjectName(f"outside_{eye}_{name}")
                typed.setMaximumWidth(80)
                typed.setAlignment(Qt.AlignmentFlag.AlignCenter)
                typed.textEdited.connect(lambda _t: self._debounce.start(300))
                self.cells[f"{eye}_{name}"] = typed
                edit_grid.addWidget(typed, r, c)
                messages.add(f"{eye}_{name}", typed, self.error)
        self.pd = QLineEdit()
        self.pd.setObjectName("outsidePd")
        self.pd.setMaximumWidth(80)
        self.pd.setPlaceholderText("mm")
        self.prescriber = QLineEdit()
        self.prescriber.setObjectName("outsidePrescriber")
        self.prescriber.setPlaceholderText("Dr R Rao, Vasan Eye Care")
        edit_grid.addWidget(QLabel("PD (both eyes)"), 3, 0)
        edit_grid.addWidget(self.pd, 3, 1)
        edit_grid.addWidget(QLabel("Written by"), 4, 0)
        edit_grid.addWidget(self.prescriber, 4, 1, 1, 4)
        edit_grid.addWidget(self.error, 5, 0, 1, 5)
        edit_grid.setColumnStretch(5, 1)
        messages.add("pd", self.pd, self.error)
        messages.add("outside_rx.prescriber", self.prescriber, self.error)
        self.rx_error = error_label()
        for name in ("optical_prescription_id", "outside_rx"):
            messages.add(name, self.outside_box, self.rx_error)
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.title)
        box.addWidget(self.table)
        box.addWidget(self.extra)
        box.addWidget(self.outside_box)
        box.addWidget(self.rx_error)
        box.addWidget(self.editor)
        self._debounce.timeout.connect(self.changed.emit)
        self.show_rx(None, patient_chosen=False)

    def show_rx(self, found: EyeRxView | None, patient_chosen: bool = True) -> None:
        """The patient's latest valid prescription (None: none on file), the outside one cleared."""
        self.stored = found
        self.base, self.notes, self.origin = {}, "", None
        for cell in [*self.cells.values(), self.pd, self.prescriber]:
            cell.clear()
        if found is None:
            self.title.setText(NO_RX if patient_chosen else "Choose the patient first.")
        else:
            until = f", valid until {day_text(found.valid_until)}" if found.valid_until else ""
            by = found.examiner_name or "outside prescriber"
            self.title.setText(f"<b>{found.code}</b> by {by}, {day_text(found.examined_on)}{until}")
            for eye in ("right", "left"):
                for c, text in enumerate(eye_cells(getattr(found, eye))):
                    self.shown[(eye, c)].setText(text or "")
            extras = [f"PD {found.pd_text}" if found.pd_text else "", found.lens_recommendation]
            self.extra.setText("  ·  ".join(x for x in extras if x))
        self.titles = (self.title.text(), "")
        self.table.setVisible(found is not None)
        self.extra.setVisible(found is not None and bool(self.extra.text()))
        self.outside_box.setVisible(patient_chosen)
        self.outside_box.blockSignals(True)
        self.outside_box.setChecked(patient_chosen and found is None)
        self.outside_box.blockSignals(False)
        self._toggled(self.outside_box.isChecked())

    def _toggled(self, outside: bool) -> None:
        self.title.setText(self.titles[1] if outside and self.titles[1] else self.titles[0])
        self.editor.setVisible(outside)
        self.table.setVisible(self.stored is not None and not outside)
        self.extra.setVisible(self.stored is not None and not outside and bool(self.extra.text()))
        if outside:
            self.cells["right_sphere"].setFocus()
        self.changed.emit()

    def show_outside(self, saved: EyeRxView, prescriber: str) -> None:
        """A draft's outside prescription typed back in, to edit (call after ``show_rx``)."""
        self.titles = (self.titles[0], f"The order's outside prescription <b>{saved.code}</b>, by {escape(prescriber)}"
                       f", typed in {day_text(saved.examined_on)}")  # fmt: skip
        self.outside_box.setChecked(True)
        self._toggled(True)
        pd = rx.format_pd(saved.pd_mm_tenths).removesuffix(" mm")
        for eye in ("right", "left"):
            e: EyeView = getattr(saved, eye)
            typed = {"sphere": e.sphere_text, "cylinder": e.cylinder_text, "axis": e.axis_text, "add": e.add_text}
            for name, text in typed.items():
                self.cells[f"{eye}_{name}"].setText(text)
            prism = f"{e.prism / 100:.2f}" if e.prism else ""
            mono = rx.format_pd(e.pd_mm_tenths).removesuffix(" mm")
            self.base[eye] = EyeInput(**typed, prism=prism, prism_base=e.prism_base or "",
                                      distance_va=e.distance_va or "", near_va=e.near_va or "", pd=mono)  # fmt: skip
        self.pd.setText(pd)
        self.prescriber.setText(prescriber)
        self.notes = saved.notes
        found = self.outside()
        self.origin = (saved.id, found) if found is not None else None
        self.changed.emit()

    def choice(self) -> tuple[uuid.UUID | None, OutsideRxInput | None]:
        """What the order is made to: (a stored prescription's id, None) or (None, an outside one typed in)."""
        outside = self.outside()
        if outside is not None and self.origin is not None and outside == self.origin[1]:
            return self.origin[0], None  # the draft's outside prescription untouched: kept, not written again
        return (self.prescription_id() if outside is None else None), outside

    def is_outside(self) -> bool:
        return self.outside_box.isChecked()

    def prescription_id(self) -> Any:
        return self.stored.id if self.stored is not None and not self.is_outside() else None

    def typed(self) -> bool:
        return any(c.text().strip() for c in [*self.cells.values(), self.pd, self.prescriber])

    def outside(self) -> OutsideRxInput | None:
        """The outside prescription as typed (None when it is not used, or nothing was typed: an order without
        lenses)."""
        if not self.is_outside() or not self.typed():
            return None

        def eye(side: str) -> EyeInput:
            return replace(self.base.get(side, EyeInput()), **{n: self.cells[f"{side}_{n}"].text() for n in TYPED})

        return OutsideRxInput(prescriber=self.prescriber.text(), right=eye("right"), left=eye("left"),
                              pd=self.pd.text(), notes=self.notes)  # fmt: skip

    def powers(self) -> tuple[EyeRx | None, EyeRx | None]:
        if not self.is_outside():
            if self.stored is None:
                return None, None
            right, left = self.stored.right, self.stored.left
            return (right if right.prescribed else None), (left if left.prescribed else None)
        return self._typed_power("right"), self._typed_power("left")

    def _typed_power(self, eye: str) -> EyeRx | None:
        def text(name: str) -> str:
            return self.cells[f"{eye}_{name}"].text()

        try:
            sphere = rx.parse_sphere(text("sphere"), "sphere")
            if sphere is None:
                return None
            return EyePower(sphere, rx.parse_cylinder(text("cylinder"), "cylinder"),
                            rx.parse_axis(text("axis"), "axis"), rx.parse_add(text("add"), "add"))  # fmt: skip
        except ValidationError:
            return None

    def pd_of(self, eye: str) -> int | None:
        """The stored prescription's monocular PD of ``eye`` (tenths of a mm), to prefill the order's."""
        if self.stored is None or self.is_outside():
            return None
        found: int | None = getattr(self.stored, eye).pd_mm_tenths
        return found
