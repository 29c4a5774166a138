"""Form helpers: a message next to each field, and one place that turns a service error into messages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from hms_desktop.errors import HmsError, ValidationError
from ui.qt import QComboBox, QFormLayout, QLabel, QWidget
from ui.worker import error_text


class FieldErrors:
    """Red messages under the fields of a QFormLayout, keyed by the service's field names."""

    def __init__(self, form: QFormLayout, fields: dict[str, QWidget], general: QLabel) -> None:
        self._labels: dict[str, QLabel] = {}
        self._fields = fields
        self._general = general
        general.setObjectName("formError")
        general.setWordWrap(True)
        general.hide()
        for name, widget in fields.items():
            label = QLabel()
            label.setObjectName("fieldError")
            label.setWordWrap(True)
            label.hide()
            position = form.getWidgetPosition(widget)  # (row, role); the stubs say only object
            row, _role = cast(tuple[int, QFormLayout.ItemRole], position)
            form.insertRow(row + 1, "", label)
            self._labels[name] = label

    def clear(self) -> None:
        for label in [*self._labels.values(), self._general]:
            label.clear()
            label.hide()

    def show(self, exc: BaseException) -> None:
        """Put the error where it belongs: next to its field, else at the top of the form."""
        self.clear()
        if isinstance(exc, ValidationError) and exc.field in self._labels:
            self._labels[exc.field].setText(exc.message)
            self._labels[exc.field].show()
            self._fields[exc.field].setFocus()
            return
        self._general.setText(exc.message if isinstance(exc, HmsError) else error_text(exc))
        self._general.show()

    def message_for(self, name: str) -> str:
        label = self._labels.get(name)
        return label.text() if label is not None and label.isVisible() else ""


def on_enter(widget: QWidget, action: Callable[[], None]) -> None:
    """Enter submits (line edits)."""
    signal = getattr(widget, "returnPressed", None)
    if signal is not None:
        signal.connect(action)


def find_data(box: QComboBox, value: Any) -> int:
    """The index of the item whose data equals ``value`` (QComboBox.findData cannot compare Python objects
    such as UUIDs), or -1."""
    return next((i for i in range(box.count()) if box.itemData(i) == value), -1)
