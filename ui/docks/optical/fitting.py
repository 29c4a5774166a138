"""The fitting measurements of an order, in mm as the optician measures them: each eye's monocular PD and
fitting height, and the frame's box size (A lens width, B lens height, DBL bridge), prefilled from the frame
chosen in the catalogue and the prescription's monocular PDs when it has them. The service checks them on Save
(a PD of 20 or 90 mm is refused) and its sentence shows under the field it names. Enter moves on to the next
field."""

from __future__ import annotations

from hms_desktop.services.optical.catalog_views import ProductView
from hms_desktop.services.optical.order_input import mm_text
from ui.docks.optical.order_common import Messages, error_label
from ui.qt import QGridLayout, QLabel, QLineEdit, Qt, QWidget

PAIRS = (("pd", "Monocular PD"), ("fitting_height", "Fitting height"))
EYES = (("right", "R (OD)"), ("left", "L (OS)"))
BOX = (("box_a", "A", "lens width"), ("box_b", "B", "lens height"), ("dbl", "DBL", "bridge"))


def mm(tenths: int | None) -> str:
    """A stored length as typed back: 310 -> "31.0", 520 -> "52"."""
    if tenths is None:
        return ""
    return f"{tenths // 10}.{tenths % 10}" if tenths % 10 else mm_text(tenths)


class FittingBox(QWidget):
    def __init__(self, messages: Messages, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.fields: dict[str, QLineEdit] = {}
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setVerticalSpacing(2)
        for c, (_name, title) in enumerate(PAIRS):
            grid.addWidget(QLabel(f"<b>{title}</b>"), 0, 1 + 2 * c, 1, 2)
        order: list[QLineEdit] = []
        for i, (eye, label) in enumerate(EYES):
            row = 1 + 2 * i
            grid.addWidget(QLabel(f"<b>{label}</b>"), row, 0)
            error = error_label()  # one refusal at a time: the eye's PD or its fitting height, across the row
            grid.addWidget(error, row + 1, 1, 1, 5)
            for c, (name, title) in enumerate(PAIRS):
                key = f"{eye}_{name}"
                edit = self._edit(key, f"{label[0]} {title.lower()}, mm")
                order.append(edit)
                grid.addWidget(edit, row, 1 + 2 * c)
                grid.addWidget(QLabel("mm"), row, 2 + 2 * c)
                messages.add(key, edit, error)
        box_row = QWidget()
        line = QGridLayout(box_row)
        line.setContentsMargins(0, 0, 0, 0)
        self.box_error = error_label()
        for c, (name, short, words) in enumerate(BOX):
            edit = self._edit(name, f"{short}: {words}, mm")
            order.append(edit)
            line.addWidget(QLabel(short), 0, 2 * c)
            line.addWidget(edit, 0, 2 * c + 1)
            messages.add(name, edit, self.box_error)
        line.addWidget(QLabel("mm"), 0, 6)
        line.setColumnStretch(7, 1)
        grid.addWidget(QLabel("<b>Box</b>"), 5, 0)
        grid.addWidget(box_row, 5, 1, 1, 4)
        grid.addWidget(self.box_error, 6, 1, 1, 5)
        self.hint = QLabel()
        self.hint.setObjectName("fittingHint")
        self.hint.setWordWrap(True)
        grid.addWidget(self.hint, 7, 0, 1, 5)
        grid.setColumnStretch(5, 1)
        for a, b in zip(order, order[1:], strict=False):
            a.returnPressed.connect(b.setFocus)
            QWidget.setTabOrder(a, b)
        self.order = order

    def _edit(self, key: str, tip: str) -> QLineEdit:
        edit = QLineEdit()
        edit.setObjectName(key)
        edit.setMaximumWidth(72)
        edit.setAlignment(Qt.AlignmentFlag.AlignCenter)
        edit.setToolTip(tip)
        self.fields[key] = edit
        return edit

    def clear(self) -> None:
        for edit in self.fields.values():
            edit.clear()
        self.hint.clear()

    def text(self, key: str) -> str:
        return self.fields[key].text()

    def prefill_pds(self, right: int | None, left: int | None, binocular: str) -> None:
        """The prescription's monocular PDs where it has them (a typed PD is kept); a binocular PD alone is
        named in the hint, for the optician to measure each eye."""
        for eye, value in (("right", right), ("left", left)):
            edit = self.fields[f"{eye}_pd"]
            if value is not None and not edit.text().strip():
                edit.setText(mm(value))
        if binocular and (right is None or left is None):
            self.hint.setText(f"The prescription gives the PD {binocular} for both eyes: measure each eye's "
                              "monocular PD for the lab.")  # fmt: skip
        else:
            self.hint.clear()

    def set_frame(self, frame: ProductView | None) -> None:
        """The box size of the frame chosen (the patient's own frame: measured, so left to type)."""
        for key, column in (("box_a", "frame_a_mm"), ("box_b", "frame_b_mm"), ("dbl", "frame_dbl_mm")):
            size = getattr(frame, column) if frame is not None else None
            self.fields[key].setText("" if size is None else str(size))
