"""The visit's eye (spectacle) prescription: a grid with a row per eye, R (OD) and L (OS), and the columns
opticians write: SPH, CYL, AXIS, PRISM, BASE, ADD, distance vision (VA: a choice of the Snellen values), near
vision (N: N5 ... N48) and the monocular PD; below, the binocular PD, the lens recommendation, notes and the date
it is valid until (a year from today unless changed).

Save sends the values as typed (``save_eye_prescription`` parses them: "-2.25", "plano", "+1.5"); an error shows
under the cell it names (``right_axis`` under R's AXIS, with the cell outlined and focused), or next to the field
below the grid; nothing is written then. Once saved, the transposed form of each eye is shown ("Transposed:
R +0.75 / -1.25 x 90"), Save waits for a change (a second click does not write the prescription twice), and
Print... previews the A5 printout. The patient's earlier eye prescriptions are listed newest first; Print...
prints the one selected.

Enter in a grid cell moves to the next cell. Writing needs ``optical.prescribe``; the list and printing
``optical.view``.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from hms_desktop.changes import Changes
from hms_desktop.errors import ValidationError
from hms_desktop.services.optical.eye_prescriptions import (
    DISTANCE_ACUITIES,
    NEAR_ACUITIES,
    PRISM_BASES,
    EyeInput,
    EyeRxInput,
    EyeRxView,
    EyeView,
    eye_prescription_pdf,
    eye_prescriptions_for,
    save_eye_prescription,
)
from ui import clinic_time
from ui.docks.doctor.visit import Visit
from ui.forms import FieldErrors
from ui.qt import (
    QAbstractItemView,
    QComboBox,
    QDate,
    QDateEdit,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    Qt,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
    isValid,
)
from ui.session import AppSession
from ui.worker import background, run

A5_MM = (148.0, 210.0)
EYES = (("right", "R (OD)"), ("left", "L (OS)"))
# EyeInput field, column title, width; the combos' choices below. No example values in the cells: an example
# could pass for a measured value.
CELLS: tuple[tuple[str, str, int], ...] = (
    ("sphere", "SPH", 74),
    ("cylinder", "CYL", 74),
    ("axis", "AXIS", 56),
    ("prism", "PRISM", 60),
    ("prism_base", "BASE", 70),
    ("add", "ADD", 70),
    ("distance_va", "VA", 78),
    ("near_va", "N", 70),
    ("pd", "PD (mono)", 72),
)
HOW_TO_TYPE = (
    "Powers as -2.25, +1.50 or plano (0.25 D steps); axis 1-180; prism with its base; PD in mm (0.5 mm steps). "
    "Enter moves to the next cell."
)
BASE_LABELS = {"in": "BI (in)", "out": "BO (out)", "up": "BU (up)", "down": "BD (down)"}
COMBOS: dict[str, tuple[tuple[str, str], ...]] = {
    "prism_base": tuple((b, BASE_LABELS.get(b, b)) for b in PRISM_BASES),
    "distance_va": tuple((v, v) for v in DISTANCE_ACUITIES),
    "near_va": tuple((v, v) for v in NEAR_ACUITIES),
}
HISTORY_COLUMNS = ("Code", "Examined", "Right", "Left", "Add R / L", "PD (mm)", "Valid until", "By")
BAD_CELL = "border: 2px solid #b00020;"


def one_year_after(day: date) -> date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)


def transposed_text(view: EyeRxView) -> str:
    """ "Transposed: R +0.75 / -1.25 x 90; L -1.00 DS (no cylinder)"."""
    parts = []
    for eye in (view.right, view.left):
        side = eye.label[0]
        if not eye.prescribed:
            continue
        parts.append(f"{side} {eye.transposed_text}" if eye.transposed_text else f"{side} {eye.rx_text} (no cylinder)")
    return "Transposed: " + "; ".join(parts) if parts else ""


def eye_text(eye: EyeView) -> str:
    """The eye in one line for the list ("-0.50 / +1.25 x 180", a prism after it); its vision in the tooltip."""
    if not eye.prescribed:
        return "-"
    return f"{eye.rx_text}, prism {eye.prism_text}" if eye.prism_text else eye.rx_text


def vision_text(view: EyeRxView) -> str:
    parts = [f"{e.label[0]}: {e.distance_va or '-'} / {e.near_va or '-'}" for e in (view.right, view.left)]
    return "Vision (distance / near)  " + ",  ".join(parts)


class EyeTab(QWidget):
    def __init__(self, session: AppSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.visit: Visit | None = None
        self.history: list[EyeRxView] = []
        self.saved: EyeRxView | None = None
        self.saving = self.busy = self.dirty = False
        can_write = session.can("optical.prescribe")
        self.cells: dict[str, dict[str, QWidget]] = {}
        self.order: list[QWidget] = []  # the grid's cells in Enter order: R's row, then L's
        grid = QGridLayout()
        grid.setHorizontalSpacing(6)
        for c, (_name, title, _w) in enumerate(CELLS, start=1):
            head = QLabel(f"<b>{title}</b>")
            head.setAlignment(Qt.AlignmentFlag.AlignCenter)
            grid.addWidget(head, 0, c)
        self.row_errors: dict[str, QLabel] = {}
        for i, (eye, label) in enumerate(EYES):
            row = 1 + 2 * i
            grid.addWidget(QLabel(f"<b>{label}</b>"), row, 0)
            self.cells[eye] = {}
            for c, (name, _title, width) in enumerate(CELLS, start=1):
                cell = self._cell(eye, name, width)
                self.cells[eye][name] = cell
                self.order.append(cell)
                grid.addWidget(cell, row, c)
            error = QLabel()
            error.setObjectName("fieldError")
            error.setWordWrap(True)
            error.hide()
            self.row_errors[eye] = error
            grid.addWidget(error, row + 1, 1, 1, len(CELLS))
        grid.setColumnStretch(len(CELLS) + 1, 1)
        self.grid = grid
        self.pd = QLineEdit()
        self.pd.setObjectName("eyePd")
        self.pd.setFixedWidth(72)
        pd_row = QWidget()
        pd_line = QHBoxLayout(pd_row)
        pd_line.setContentsMargins(0, 0, 0, 0)
        pd_line.addWidget(self.pd)
        pd_line.addWidget(QLabel("mm binocular (or the monocular PD of each eye in the grid)"))
        pd_line.addStretch()
        pd_row.setFocusProxy(self.pd)
        self.lens = QLineEdit()
        self.lens.setObjectName("lensRecommendation")
        self.lens.setPlaceholderText("single vision / bifocal / progressive; anti-glare, photochromic ...")
        self.notes = QLineEdit()
        self.notes.setObjectName("eyeNotes")
        self.notes.setPlaceholderText("optional")
        self.valid_until = QDateEdit()
        self.valid_until.setObjectName("validUntil")
        self.valid_until.setDisplayFormat("dd-MM-yyyy")
        self.valid_until.setCalendarPopup(True)
        self.valid_until.setMaximumWidth(160)
        form = QFormLayout()
        form.addRow("PD", pd_row)
        form.addRow("Lens", self.lens)
        form.addRow("Notes", self.notes)
        form.addRow("Valid until", self.valid_until)
        general = QLabel()
        fields: dict[str, QWidget] = {
            "pd": pd_row, "lens_recommendation": self.lens, "notes": self.notes, "valid_until": self.valid_until,
        }  # fmt: skip
        self.errors = FieldErrors(form, fields, general)
        self.save_button = QPushButton("Save eye prescription")
        self.save_button.setObjectName("saveEyeRx")
        self.save_button.clicked.connect(self.save)
        self.new_button = QPushButton("New")
        self.new_button.setObjectName("newEyeRx")
        self.new_button.clicked.connect(self.clear)
        self.print_button = QPushButton("Print...")
        self.print_button.setObjectName("printEyeRx")
        self.print_button.clicked.connect(self.print_rx)
        self.print_button.setVisible(session.can("optical.view"))
        self.result = QLabel()
        self.result.setObjectName("eyeRxResult")
        self.result.setWordWrap(True)
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.result.hide()  # until a save
        self.history_table = QTableWidget(0, len(HISTORY_COLUMNS))
        self.history_table.setObjectName("eyeRxHistory")
        self.history_table.setHorizontalHeaderLabels(list(HISTORY_COLUMNS))
        self.history_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.history_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.history_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.history_table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.history_table.verticalHeader().hide()
        self.history_table.itemSelectionChanged.connect(self._history_selected)
        self.history_title = QLabel("Earlier eye prescriptions")
        self.editor = QWidget()
        ebox = QVBoxLayout(self.editor)
        ebox.setContentsMargins(0, 0, 0, 0)
        ebox.addLayout(grid)
        how = QLabel(HOW_TO_TYPE)
        how.setObjectName("eyeHowTo")
        how.setWordWrap(True)
        ebox.addWidget(how)
        ebox.addWidget(general)
        ebox.addLayout(form)
        buttons = QHBoxLayout()
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.new_button)
        buttons.addWidget(self.print_button)
        buttons.addStretch()
        box = QVBoxLayout(self)
        box.addWidget(self.editor)
        box.addLayout(buttons)
        box.addWidget(self.result)
        box.addWidget(self.history_title)
        box.addWidget(self.history_table, 1)
        if not session.can("optical.view"):
            self.history_title.setText("Your role does not see eye prescriptions (optical.view).")
            self.history_table.hide()
        self.editor.setVisible(can_write)  # others see the list (optical.view), not an empty form
        self.save_button.setVisible(can_write)
        self.new_button.setVisible(can_write)
        for line in (self.pd, self.lens, self.notes):
            line.textChanged.connect(self._edited)
            line.returnPressed.connect(self.save)
        self.valid_until.dateChanged.connect(self._edited)
        session.changes.changed.connect(self.on_changes)
        self.set_visit(None)

    def _cell(self, eye: str, name: str, width: int) -> QWidget:
        cell: QLineEdit | QComboBox
        if name in COMBOS:
            box = QComboBox()
            box.addItem("", "")
            for value, label in COMBOS[name]:
                box.addItem(label, value)
            box.currentIndexChanged.connect(self._edited)
            cell = box
        else:
            edit = QLineEdit()
            edit.setAlignment(Qt.AlignmentFlag.AlignCenter)
            edit.textChanged.connect(self._edited)
            edit.returnPressed.connect(lambda e=edit: self.next_cell(e))
            cell = edit
        cell.setObjectName(f"{eye}_{name}")
        cell.setMinimumWidth(width)
        return cell

    def next_cell(self, cell: QWidget) -> None:
        """Enter in a grid cell: the next cell (R's row, then L's), then the PD."""
        i = self.order.index(cell)
        (self.order[i + 1] if i + 1 < len(self.order) else self.pd).setFocus()

    @staticmethod
    def value(cell: QWidget) -> str:
        if isinstance(cell, QComboBox):
            return str(cell.currentData() or "")
        assert isinstance(cell, QLineEdit)
        return cell.text()

    # --- the visit

    def set_visit(self, visit: Visit | None) -> None:
        same = visit is not None and self.visit is not None and visit.patient_id == self.visit.patient_id
        self.visit = visit
        self.setEnabled(visit is not None)
        if not same:
            self.clear()
            self.history = []
            self._fill_history()
        self.refresh(force=True)

    def clear(self) -> None:
        """A blank form (valid for a year from the clinic's today)."""
        for cells in self.cells.values():
            for cell in cells.values():
                if isinstance(cell, QComboBox):
                    cell.setCurrentIndex(0)
                elif isinstance(cell, QLineEdit):
                    cell.clear()
        for line in (self.pd, self.lens, self.notes):
            line.clear()
        today = clinic_time.today()
        self.valid_until.setMinimumDate(QDate(today.year, today.month, today.day))
        until = one_year_after(today)
        self.valid_until.setDate(QDate(until.year, until.month, until.day))
        self._clear_errors()
        self.saved = None
        self.result.clear()
        self.result.hide()
        self.save_button.setEnabled(True)

    def on_changes(self, changes: Changes) -> None:
        if changes.touches("optical_prescriptions") and self.visit is not None:
            self.refresh(force=True)

    def showEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        if self.dirty:
            self.refresh()

    def refresh(self, force: bool = False) -> None:
        if force:
            self.dirty = True
        if self.visit is None or not self.session.can("optical.view"):
            return
        if self.busy or not self.isVisible():
            self.dirty = True
            return
        self.busy, self.dirty = True, False
        pid = self.visit.patient_id
        background(self, eye_prescriptions_for, self.session.ctx, pid, done=lambda rows: self._history(pid, rows),
            failed=self._history_failed)  # fmt: skip

    def _history_failed(self, _exc: BaseException) -> None:
        if isValid(self):
            self.busy = False

    def _history(self, patient_id: uuid.UUID, rows: list[EyeRxView]) -> None:
        if not isValid(self):
            return
        self.busy = False
        if self.dirty or self.visit is None or self.visit.patient_id != patient_id:
            self.refresh()
            return
        self.history = rows
        self._fill_history()

    def _fill_history(self) -> None:
        chosen = self.current()
        wanted = chosen.id if chosen is not None else (self.saved.id if self.saved is not None else None)
        self.history_table.blockSignals(True)
        self.history_table.setRowCount(len(self.history))
        for r, v in enumerate(self.history):
            adds = " / ".join(e.add_text or "-" for e in (v.right, v.left))
            valid = v.valid_until.strftime("%d %b %Y") if v.valid_until else ""
            cells = [v.code, v.examined_on.strftime("%d %b %Y"), eye_text(v.right), eye_text(v.left), adds,
                     v.pd_text.replace(" mm", ""), valid + ("" if v.is_valid else " (expired)"),
                     v.examiner_name]  # fmt: skip
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(vision_text(v) + (f"\nLens: {v.lens_recommendation}" if v.lens_recommendation else ""))
                self.history_table.setItem(r, c, item)
            if v.id == wanted:
                self.history_table.selectRow(r)
        self.history_table.blockSignals(False)
        n = len(self.history)
        if self.session.can("optical.view"):
            self.history_title.setText(f"Eye prescriptions of this patient ({n})" if n else "No eye prescription yet")
        self._history_selected()

    def current(self) -> EyeRxView | None:
        row = self.history_table.currentRow()
        selected = self.history_table.selectionModel().hasSelection()
        return self.history[row] if selected and 0 <= row < len(self.history) else None

    def _history_selected(self) -> None:
        self.print_button.setEnabled(self.current() is not None or self.saved is not None)

    # --- saving

    def data(self) -> EyeRxInput:
        assert self.visit is not None
        eyes = {
            eye: EyeInput(**{name: self.value(cell) for name, cell in cells.items()})
            for eye, cells in self.cells.items()
        }
        return EyeRxInput(
            patient_id=self.visit.patient_id,
            right=eyes["right"],
            left=eyes["left"],
            pd=self.pd.text(),
            appointment_id=self.visit.appointment_id,
            lens_recommendation=self.lens.text(),
            notes=self.notes.text(),
            valid_until=clinic_time.day_of(self.valid_until.date()),
        )

    def _edited(self, *_args: object) -> None:
        """A change after a save: the form is a new prescription to save."""
        if not self.saving and self.saved is not None:
            self.saved = None
            self.save_button.setEnabled(True)

    def save(self) -> None:
        if self.visit is None or self.saving or not self.save_button.isEnabled():
            return  # a double click while saving, or nothing changed since the save
        self.saving = True
        self.save_button.setEnabled(False)
        self._clear_errors()
        run(self, save_eye_prescription, self.session.ctx, self.data(), done=self._saved, failed=self._failed,
            label="Saving the eye prescription...")  # fmt: skip

    def _saved(self, view: EyeRxView) -> None:
        self.saving = False
        self.saved = view  # Save waits for a change (``_edited``)
        self.result.setText(f"Saved {view.code}, valid until {view.valid_until:%d %b %Y}. {transposed_text(view)}")
        self.result.show()
        self.history_table.clearSelection()
        self.refresh(force=True)
        self._history_selected()

    def _failed(self, exc: BaseException) -> None:
        self.saving = False
        self.save_button.setEnabled(True)
        field = exc.field if isinstance(exc, ValidationError) else ""
        eye, _, name = field.partition("_")
        cell = self.cells.get(eye, {}).get(name)
        if cell is None:
            self.errors.show(exc)
            return
        assert isinstance(exc, ValidationError)
        cell.setStyleSheet(BAD_CELL)
        label = self.row_errors[eye]
        column = 1 + [c[0] for c in CELLS].index(name)
        self.grid.removeWidget(label)
        error_row = 2 + 2 * [e for e, _label in EYES].index(eye)  # under the eye's row, from the cell rightwards
        self.grid.addWidget(label, error_row, column, 1, len(CELLS) + 1 - column)
        label.setText(exc.message)
        label.show()
        cell.setFocus()

    def _clear_errors(self) -> None:
        self.errors.clear()
        for label in self.row_errors.values():
            label.clear()
            label.hide()
        for cells in self.cells.values():
            for cell in cells.values():
                cell.setStyleSheet("")

    def message_for(self, field: str) -> str:
        """The message shown for ``field`` ("right_axis", "pd"), or "" (for tests and the status bar)."""
        eye, _, name = field.partition("_")
        if eye in self.row_errors and name in self.cells[eye]:
            cell = self.cells[eye][name]
            label = self.row_errors[eye]
            return label.text() if label.isVisible() and cell.styleSheet() else ""
        return self.errors.message_for(field)

    # --- printing

    def print_rx(self) -> None:
        target = self.current() or self.saved
        if target is None:
            return
        run(self, eye_prescription_pdf, self.session.ctx, target.id, done=lambda pdf: self._preview(pdf, target),
            failed=self.errors.show, label="Making the printout...")  # fmt: skip

    def _preview(self, pdf: bytes, view: EyeRxView) -> None:
        from ui.print_preview import preview_pdf

        preview_pdf(self, pdf, f"Eye prescription {view.code}", A5_MM)
