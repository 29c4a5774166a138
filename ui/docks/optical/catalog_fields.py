"""``FieldGrid``: a form's fields in two columns, each with its label and, under it, the service's sentence when
it refuses that field (``ValidationError.field``). ``arrange(names)`` shows only the fields named, packed two to
a row in that order (a wide field takes a whole row), and makes Tab go through them in that order: the product
form's fields follow the category this way."""

from __future__ import annotations

from dataclasses import dataclass

from hms_desktop.errors import ValidationError
from ui.qt import QGridLayout, QLabel, Qt, QVBoxLayout, QWidget


@dataclass
class Field:
    label: QLabel
    holder: QWidget  # the widget and its error under it
    widget: QWidget
    error: QLabel
    wide: bool


class FieldGrid(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.fields: dict[str, Field] = {}
        self.shown: list[str] = []
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setHorizontalSpacing(8)
        self.grid.setVerticalSpacing(4)
        self.grid.setColumnStretch(1, 1)
        self.grid.setColumnStretch(3, 1)

    def add(self, name: str, text: str, widget: QWidget, *, wide: bool = False, tip: str = "") -> QWidget:
        label = QLabel(text)
        label.setBuddy(widget)
        label.setMinimumHeight(widget.sizeHint().height())  # level with its field when a message shows under it
        if tip:
            label.setToolTip(tip)
            widget.setToolTip(tip)
        error = QLabel()
        error.setObjectName("fieldError")
        error.setWordWrap(True)
        error.hide()
        holder = QWidget()
        box = QVBoxLayout(holder)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(1)
        box.addWidget(widget)
        box.addWidget(error)
        label.hide()
        holder.hide()
        self.fields[name] = Field(label, holder, widget, error, wide)
        return widget

    def arrange(self, names: list[str]) -> None:
        """Show the fields ``names`` (in this order, two to a row) and hide the others."""
        for f in self.fields.values():
            self.grid.removeWidget(f.label)
            self.grid.removeWidget(f.holder)
            f.label.hide()
            f.holder.hide()
        row = col = 0
        for name in names:
            f = self.fields[name]
            if f.wide and col:
                row, col = row + 1, 0
            self.grid.addWidget(f.label, row, col, Qt.AlignmentFlag.AlignTop)
            self.grid.addWidget(f.holder, row, col + 1, 1, 3 if f.wide else 1, Qt.AlignmentFlag.AlignTop)
            f.label.show()
            f.holder.show()
            if f.wide or col:
                row, col = row + 1, 0
            else:
                col = 2
        self.shown = list(names)
        widgets = [self.fields[n].widget for n in names]
        for a, b in zip(widgets, widgets[1:], strict=False):
            QWidget.setTabOrder(a, b)

    def widget(self, name: str) -> QWidget:
        return self.fields[name].widget

    def clear(self) -> None:
        for f in self.fields.values():
            f.error.clear()
            f.error.hide()

    def show_error(self, exc: BaseException) -> bool:
        """Put a ValidationError under its field (the cursor there); False when no shown field is named."""
        self.clear()
        if not isinstance(exc, ValidationError) or exc.field not in self.shown:
            return False
        f = self.fields[exc.field]
        f.error.setText(exc.message)
        f.error.show()
        f.widget.setFocus()
        return True

    def message_for(self, name: str) -> str:
        f = self.fields.get(name)
        return f.error.text() if f is not None and f.error.isVisible() else ""

    def first(self) -> QWidget | None:
        return self.fields[self.shown[0]].widget if self.shown else None
