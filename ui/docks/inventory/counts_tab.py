"""The Counts tab: start a cycle count, count it blind, finish it, and have someone who did not count approve it.

On the left: start a count (``inventory.count``) of all medicines, of one shelf or location, or of chosen
medicines; below it the counts, newest first. On the right the chosen count (``count_panel``): the blind sheet
while counting, the variance once finished, Print sheet, Finish, Approve (``inventory.approve``, never by the
counter) and Cancel with a reason. Refreshed from the change broadcast while shown.
"""

from __future__ import annotations

import uuid

from hms_desktop.errors import ValidationError
from hms_desktop.services.inventory.cycle_count_views import CountView
from hms_desktop.services.inventory.cycle_counts import CountInput, counts, start_count
from hms_desktop.services.pharmacy.stock_views import MedicineStock
from ui.docks.admin.common import button, message_label
from ui.docks.inventory.count_panel import CountPanel, status_words
from ui.docks.inventory.stock_common import LiveTab, MedicineFinder, cell, grid, medicine_text, say, show_date
from ui.forms import FieldErrors
from ui.qt import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QKeyEvent,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QSplitter,
    Qt,
    QVBoxLayout,
    QWidget,
    isValid,
)
from ui.session import AppSession
from ui.worker import run

SCOPES = (("All medicines", "all"), ("One shelf or location", "shelf"), ("Chosen medicines", "chosen"))
COLUMNS = ("Code", "Scope", "Status", "Counted")


class CountsTab(LiveTab):
    WATCHED = ("cycle_counts", "cycle_count_items")

    def __init__(self, session: AppSession, parent: QWidget | None = None) -> None:
        super().__init__(session, parent)
        self.may_count = session.can("inventory.count")
        self.request_id = uuid.uuid4()
        self.counts: list[CountView] = []
        self.want: uuid.UUID | None = None  # open this count once the list has it
        self.starting = False
        # --- start a count
        self.scope = QComboBox()
        self.scope.setObjectName("countScope")
        for label, key in SCOPES:
            self.scope.addItem(label, key)
        self.scope.currentIndexChanged.connect(lambda _i: self._scope_changed())
        self.location = QLineEdit()
        self.location.setObjectName("countLocation")
        self.location.setPlaceholderText("as written on the batches, e.g. Rack A")
        self.location.returnPressed.connect(self.start)
        self.finder = MedicineFinder(session, "countMedicine")
        self.finder.picked.connect(self._add_medicine)
        self.chosen = QListWidget()
        self.chosen.setObjectName("countChosen")
        self.chosen.setMaximumHeight(80)
        self.chosen.setToolTip("Delete removes the highlighted medicine")
        self.chosen.itemActivated.connect(lambda item: self.chosen.takeItem(self.chosen.row(item)))
        self.start_button = button("&Start count", "startCount", self.start)
        self.start_button.setToolTip("Put every batch in the scope on a blind sheet (Alt+S)")
        form = QFormLayout()
        form.addRow("Count", self.scope)
        form.addRow("Shelf", self.location)
        form.addRow("Medicines", self.finder)
        form.addRow("", self.chosen)
        general = QLabel()
        self.errors = FieldErrors(form, {"location": self.location, "medicine_ids": self.finder}, general)
        self.start_message = message_label("startMessage")
        start_box = QGroupBox("Start a count")
        sbox = QVBoxLayout(start_box)
        sbox.addWidget(general)
        sbox.addLayout(form)
        sbox.addWidget(self.start_button, 0, Qt.AlignmentFlag.AlignLeft)
        sbox.addWidget(self.start_message)
        start_box.setVisible(self.may_count)
        # --- the counts
        self.count_label = QLabel()
        self.table = grid("countsTable", COLUMNS, 1)
        self.table.itemSelectionChanged.connect(self._selected)
        self.panel = CountPanel(session)
        self.panel.changed.connect(lambda _c: self.refresh())
        left = QWidget()
        lbox = QVBoxLayout(left)
        lbox.setContentsMargins(0, 0, 0, 0)
        lbox.addWidget(start_box)
        lbox.addWidget(QLabel("<b>Counts</b>"))
        lbox.addWidget(self.table, 1)
        lbox.addWidget(self.count_label)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(self.panel)
        split.setSizes([440, 900])
        QVBoxLayout(self).addWidget(split)
        self._scope_changed()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt's name
        if event.key() == Qt.Key.Key_Delete and self.chosen.hasFocus() and self.chosen.currentItem() is not None:
            self.chosen.takeItem(self.chosen.currentRow())
            return
        super().keyPressEvent(event)

    # --- starting

    def _scope_changed(self) -> None:
        key = self.scope.currentData()
        self.location.setEnabled(key == "shelf")
        self.finder.setEnabled(key == "chosen")
        self.chosen.setEnabled(key == "chosen")

    def _add_medicine(self, m: MedicineStock) -> None:
        if all(self.chosen.item(i).data(Qt.ItemDataRole.UserRole) != m.id for i in range(self.chosen.count())):
            item = QListWidgetItem(f"{medicine_text(m.name, m.strength)} ({m.code})")
            item.setData(Qt.ItemDataRole.UserRole, m.id)
            self.chosen.addItem(item)
        self.finder.clear()
        self.finder.edit.setFocus()

    def chosen_ids(self) -> list[uuid.UUID]:
        return [self.chosen.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.chosen.count())]

    def start(self) -> None:
        if self.starting or not self.may_count:
            return
        self.errors.clear()
        say(self.start_message, "")
        key = self.scope.currentData()
        data = CountInput(
            location=self.location.text() if key == "shelf" else None,
            medicine_ids=self.chosen_ids() if key == "chosen" else None,
        )
        if key == "shelf" and not self.location.text().strip():
            self.errors.show(ValidationError("location", "Type the shelf or location to count."))
            return
        ctx, rid = self.session.ctx, self.request_id
        self.starting = True
        self.start_button.setEnabled(False)
        run(self, lambda: start_count(ctx, data, request_id=rid), done=self._started, failed=self._start_failed,
            label="Starting the count...")  # fmt: skip

    def _started(self, c: CountView) -> None:
        self.starting = False
        self.start_button.setEnabled(True)
        self.request_id = uuid.uuid4()
        self.chosen.clear()
        say(self.start_message, f"{c.code} started: {c.items_total} batches to count.")
        self.want = c.id
        self.panel.open_count(c)
        self.refresh()

    def _start_failed(self, exc: BaseException) -> None:
        if isValid(self):
            self.starting = False
            self.start_button.setEnabled(True)
            self.errors.show(exc)

    # --- the list

    def fetch(self) -> None:
        self.load(counts, show=self._show)

    def load_failed(self, message: str) -> None:
        self.count_label.setText(message)

    def _show(self, found: list[CountView]) -> None:
        keep = self.want or (self.panel.count.id if self.panel.count else None)
        self.counts = found
        self.table.blockSignals(True)
        self.table.clearSelection()
        self.table.setRowCount(len(found))
        for r, c in enumerate(found):
            cells = (cell(c.code, c.id), cell(c.scope), cell(status_words(c)),
                     cell(f"{c.items_recorded} of {c.items_total}", right=True))  # fmt: skip
            for col, item in enumerate(cells):
                item.setToolTip(f"{c.code}, {show_date(c.scheduled_date)}: {c.scope} (by {c.counted_by_name})")
                self.table.setItem(r, col, item)
            if c.id == keep:
                self.table.selectRow(r)
        self.table.blockSignals(False)
        self.count_label.setText(f"{len(found)} count{'s' if len(found) != 1 else ''}")
        for c in found:
            if c.id == keep:
                if self.want == c.id:
                    self.want = None
                self.panel.update_view(c)

    def _selected(self) -> None:
        row = self.table.currentRow()
        if self.table.selectionModel().hasSelection() and 0 <= row < len(self.counts):
            self.panel.open_count(self.counts[row])

    def select(self, code: str) -> bool:
        for r, c in enumerate(self.counts):
            if c.code == code:
                self.table.selectRow(r)
                return True
        return False
