"""The Stock tab: the catalogue with what is on the shelf, and the chosen medicine's batches.

Typing searches (``find_medicines``: brand, generic name, exact code or barcode) as you type; an empty box lists
the catalogue from ``stock_summary``, medicines below their reorder level first, 200 at a time ("Show more").
Choosing a medicine shows its batches, earliest expiry first, expired ones red and those within three months
amber. Catalogue holders (``pharmacy.catalog``) add and edit medicines, retire or restore them ("Show inactive"
lists the retired ones) and import an item master (.csv/.xlsx) with its per-row report; ``inventory.receive``
holders enter opening stock for the chosen medicine. Keyboard: Enter in the search moves to the list, Enter on a
medicine to its batches; the buttons have Alt shortcuts (underlined).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hms_desktop.context import Context
from hms_desktop.errors import ValidationError
from hms_desktop.services.pharmacy.catalog import MedicineView, get_medicine, set_medicine_active
from hms_desktop.services.pharmacy.catalog_import import ImportReport, import_medicines
from hms_desktop.services.pharmacy.stock_views import BatchView, batches_of, find_medicines, stock_summary
from ui.docks.admin.common import button, message_label
from ui.docks.inventory.import_report import ImportReportDialog
from ui.docks.inventory.medicine_form import MedicineDialog, OpeningStockDialog
from ui.docks.inventory.stock_common import (
    EXPIRED_COLOURS,
    LiveTab,
    cell,
    expiry_state,
    grid,
    medicine_text,
    pack_text,
    quantity_text,
    rupees,
    say,
    show_date,
    tint,
)
from ui.qt import (
    QBrush,
    QCheckBox,
    QColor,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSplitter,
    Qt,
    QTimer,
    QVBoxLayout,
    QWidget,
    isValid,
)
from ui.session import AppSession
from ui.worker import background, run

PAGE = 200
DEBOUNCE_MS = 200
COLUMNS = ("Code", "Brand", "Generic, strength", "Form / pack", "Schedule", "On hand", "Expired on hand",
           "Reorder level", "Alert")  # fmt: skip
BATCH_COLUMNS = ("Batch", "Expiry", "On hand", "MRP (pack)", "Cost (pack)", "Location", "Supplier", "State")


@dataclass(frozen=True)
class Line:
    """One medicine of the list, from a search hit or the stock summary alike."""

    id: uuid.UUID
    code: str
    name: str
    generic_name: str
    strength: str
    form: str
    unit: str
    pack_size: int
    schedule: str
    on_hand: int
    expired: int
    reorder_level: int
    below_reorder: bool
    is_active: bool = True

    @classmethod
    def of(cls, x: Any) -> Line:
        return cls(getattr(x, "medicine_id", None) or x.id, x.code, x.name, x.generic_name, x.strength, x.form,
                   x.unit, x.pack_size, x.schedule, x.on_hand, x.expired, x.reorder_level, x.below_reorder,
                   getattr(x, "is_active", True))  # fmt: skip


def listing(ctx: Context, query: str, inactive: bool) -> list[Line]:
    """What the list shows for the search box's text (on the worker)."""
    if inactive:
        words = query.lower().split()
        found = [Line.of(s) for s in stock_summary(ctx, inactive=True)]
        return [x for x in found if all(w in f"{x.code} {x.name} {x.generic_name}".lower() for w in words)]
    if query:
        return [Line.of(h) for h in find_medicines(ctx, query, limit=100)]
    lines = [Line.of(s) for s in stock_summary(ctx)]
    return sorted(lines, key=lambda x: not x.below_reorder)  # below reorder first, then by brand (stable)


def read_and_import(ctx: Context, path: str) -> ImportReport:
    try:
        content = Path(path).read_bytes()
    except OSError as e:
        raise ValidationError("file", f"{Path(path).name} cannot be read ({e.strerror or e}).") from None
    return import_medicines(ctx, Path(path).name, content)


class StockTab(LiveTab):
    WATCHED = ("medicines", "medicine_batches", "stock_movements")

    def __init__(self, session: AppSession, parent: QWidget | None = None) -> None:
        super().__init__(session, parent)
        self.lines: list[Line] = []
        self.batches: list[BatchView] = []
        self.shown = PAGE
        self.want: uuid.UUID | None = None  # select this medicine once the list has it
        self.dialog: Any = None  # the form or report open now
        self.catalog, self.receive = session.can("pharmacy.catalog"), session.can("inventory.receive")
        self.search = QLineEdit()
        self.search.setObjectName("stockSearch")
        self.search.setPlaceholderText("Find a medicine: brand, generic name, code or barcode (Enter: the list)")
        self.search.setClearButtonEnabled(True)
        self.inactive = QCheckBox("Show &inactive")
        self.inactive.setToolTip("List the medicines retired from the searches (Alt+I)")
        self.inactive.toggled.connect(lambda _c: self.refresh())
        self.count = QLabel()
        self.count.setObjectName("stockCount")
        self.more = button("Show more", "stockMore", self.show_more)
        self.more.hide()
        self.table = grid("stockTable", COLUMNS, 2)
        self.table.itemSelectionChanged.connect(self._chosen)
        self.batch_title = QLabel("Choose a medicine to see its batches")
        self.batch_title.setObjectName("batchTitle")
        self.batch_table = grid("batchTable", BATCH_COLUMNS, 6)
        self.table.activated.connect(lambda _i: self.batch_table.setFocus())
        self.message = message_label("stockMessage")
        self.new_button = button("&New medicine...", "newMedicine", self.new_medicine)
        self.edit_button = button("&Edit...", "editMedicine", self.edit_medicine)
        self.active_button = button("&Deactivate", "toggleActive", self.toggle_active)
        self.import_button = button("I&mport item master...", "importMaster", self.choose_import)
        self.opening_button = button("&Opening stock...", "openingStock", self.opening_stock)
        tips = {self.new_button: "Alt+N", self.edit_button: "Alt+E", self.active_button: "Alt+D",
                self.import_button: "A CSV or Excel (.xlsx) item master (Alt+M)",
                self.opening_button: "A batch already on the shelf at go-live (Alt+O)"}  # fmt: skip
        for b, tip in tips.items():
            b.setToolTip(tip)
        for b in (self.new_button, self.edit_button, self.active_button, self.import_button):
            b.setVisible(self.catalog)
        self.opening_button.setVisible(self.receive)
        top = QHBoxLayout()
        top.addWidget(self.search, 3)
        top.addWidget(self.inactive)
        top.addWidget(self.count, 2)
        top.addWidget(self.more)
        actions = QHBoxLayout()
        for b in (self.new_button, self.edit_button, self.active_button, self.import_button, self.opening_button):
            actions.addWidget(b)
        actions.addStretch()
        lower = QWidget()
        lbox = QVBoxLayout(lower)
        lbox.setContentsMargins(0, 0, 0, 0)
        lbox.addWidget(self.batch_title)
        lbox.addWidget(self.batch_table, 1)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.table)
        split.addWidget(lower)
        split.setSizes([380, 260])
        box = QVBoxLayout(self)
        box.addLayout(top)
        box.addWidget(split, 1)
        box.addWidget(self.message)
        box.addLayout(actions)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._search_now)
        self.search.textChanged.connect(lambda _t: self._timer.start(DEBOUNCE_MS))
        self.search.returnPressed.connect(self._to_list)
        self._buttons()

    # --- the list

    def _search_now(self) -> None:
        self.shown = PAGE
        self.refresh()

    def _to_list(self) -> None:
        if self._timer.isActive():
            self._timer.stop()
            self._search_now()
        self.table.setFocus()
        if self.table.rowCount() and self.current() is None:
            self.table.selectRow(0)

    def fetch(self) -> None:
        self.load(listing, self.search.text().strip(), self.inactive.isChecked(), show=self._show)

    def load_failed(self, message: str) -> None:
        self.count.setText(message)

    def show_more(self) -> None:
        self.shown += PAGE
        self._show(self.lines)

    def _show(self, lines: list[Line]) -> None:
        now = self.current()
        keep = self.want or (now.id if now is not None else None)
        self.lines = lines
        visible = lines[: self.shown]
        self.table.blockSignals(True)
        self.table.clearSelection()
        self.table.setRowCount(len(visible))
        for r, x in enumerate(visible):
            reorder = cell("Below reorder" if x.below_reorder else "")
            if x.below_reorder:
                reorder.setForeground(QBrush(QColor(EXPIRED_COLOURS[0])))
            expired = cell(quantity_text(x.expired, x.unit, x.pack_size, x.form) if x.expired else "")
            cells = [
                cell(x.code, x.id), cell(x.name + ("" if x.is_active else "  (inactive)")),
                cell(" ".join(p for p in (x.generic_name, x.strength) if p)),
                cell(f"{x.form}, {pack_text(x.form, x.unit, x.pack_size)}"),
                cell("" if x.schedule == "none" else x.schedule),
                cell(quantity_text(x.on_hand, x.unit, x.pack_size, x.form)),
                tint(expired, "expired" if x.expired else ""),
                cell(f"{x.reorder_level:,}" if x.reorder_level else "", right=True), reorder,
            ]  # fmt: skip
            for c, item in enumerate(cells):
                self.table.setItem(r, c, item)
        self.table.blockSignals(False)
        text = self.search.text().strip()
        if self.inactive.isChecked():
            self.count.setText(f"{len(lines)} inactive medicine{'s' if len(lines) != 1 else ''}")
        elif text:
            self.count.setText(f"{len(lines)} found" if lines else f"No active medicine matches {text!r}")
        else:
            low = sum(1 for x in lines if x.below_reorder)
            self.count.setText(f"{len(visible)} of {len(lines):,} medicines shown; {low} below reorder, listed first")
        self.more.setVisible(len(visible) < len(lines))
        if keep is not None and self.select(keep):
            self.want = None
        self._chosen()

    def select(self, medicine_id: uuid.UUID) -> bool:
        for r in range(self.table.rowCount()):
            item = self.table.item(r, 0)
            if item is not None and item.data(Qt.ItemDataRole.UserRole) == medicine_id:
                self.table.selectRow(r)
                return True
        return False

    def current(self) -> Line | None:
        row = self.table.currentRow()
        if not self.table.selectionModel().hasSelection() or not 0 <= row < min(len(self.lines), self.shown):
            return None
        return self.lines[row]

    # --- the batches

    def _chosen(self) -> None:
        x = self.current()
        self._buttons()
        if x is None:
            self.batches = []
            self.batch_table.setRowCount(0)
            self.batch_title.setText("Choose a medicine to see its batches")
            return
        ctx = self.session.ctx
        background(
            self, lambda: batches_of(ctx, x.id), done=lambda found: self._batches(x, found), failed=self._batch_failed
        )

    def _batch_failed(self, exc: BaseException) -> None:
        if isValid(self):
            self.batch_title.setText(getattr(exc, "message", "The batches could not be read."))

    def _batches(self, x: Line, found: list[BatchView]) -> None:
        now = self.current()
        if not isValid(self) or now is None or now.id != x.id:
            return
        self.batches = found
        name = f"<b>{medicine_text(x.name, x.strength)}</b> ({x.code})"
        n = len(found)
        self.batch_title.setText(
            f"{name}: {n} batch{'es' if n != 1 else ''} in stock, earliest expiry first" if n else f"{name}: no stock"
        )
        self.batch_table.setRowCount(len(found))
        for r, b in enumerate(found):
            state = expiry_state(b.expiry_date)
            words = {"expired": "Expired", "near": f"Expires in {b.days_to_expiry} days"}.get(state, "")
            cells = [cell(b.batch_number, b.id), tint(cell(show_date(b.expiry_date)), state),
                     cell(quantity_text(b.on_hand, x.unit, x.pack_size, x.form)), cell(rupees(b.mrp_paise), right=True),
                     cell(rupees(b.cost_price_paise), right=True), cell(b.location),
                     cell(b.supplier_name or "Opening stock"), tint(cell(words), state)]  # fmt: skip
            for c, item in enumerate(cells):
                self.batch_table.setItem(r, c, item)

    # --- actions

    def _buttons(self) -> None:
        x = self.current()
        self.edit_button.setEnabled(x is not None)
        self.active_button.setEnabled(x is not None)
        self.active_button.setText("&Activate" if x is not None and not x.is_active else "&Deactivate")
        self.opening_button.setEnabled(x is not None and x.is_active)

    def _open(self, dialog: Any) -> None:
        self.dialog = dialog
        dialog.open()

    def new_medicine(self) -> None:
        dialog = MedicineDialog(self.session, None, self)
        dialog.saved.connect(self._saved)
        self._open(dialog)

    def edit_medicine(self) -> None:
        x = self.current()
        if x is None:
            return
        ctx = self.session.ctx
        self.edit_button.setEnabled(False)
        run(self, lambda: get_medicine(ctx, x.id), done=self._edit, failed=self._failed)

    def _edit(self, medicine: MedicineView) -> None:
        self._buttons()
        dialog = MedicineDialog(self.session, medicine, self)
        dialog.saved.connect(self._saved)
        self._open(dialog)

    def _saved(self, medicine: MedicineView) -> None:
        say(self.message, f"Saved {medicine_text(medicine.name, medicine.strength)} as {medicine.code}.")
        self.want = medicine.id
        if medicine.is_active and self.inactive.isChecked():
            self.inactive.setChecked(False)
        self.search.setText(medicine.code)  # the search finds exactly it
        self._timer.stop()
        self._search_now()

    def toggle_active(self) -> None:
        x = self.current()
        if x is None:
            return
        ctx = self.session.ctx
        self.active_button.setEnabled(False)
        run(self, lambda: set_medicine_active(ctx, x.id, not x.is_active), done=self._toggled, failed=self._failed)

    def _toggled(self, m: MedicineView) -> None:
        if m.is_active:
            say(self.message, f"{m.name} ({m.code}) is active again: it is found in the searches.")
        else:
            say(self.message, f"{m.name} ({m.code}) is inactive: it leaves the searches; its batches stay. "
                "Tick Show inactive to bring it back.")  # fmt: skip
        self._buttons()

    def _failed(self, exc: BaseException) -> None:
        if isValid(self):
            say(self.message, getattr(exc, "message", "That could not be done."), error=True)
            self._buttons()

    def choose_import(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(self, "Import an item master", "", "Item master (*.csv *.xlsx)")
        if path:
            self.import_file(path)

    def import_file(self, path: str) -> None:
        """Import the item master at ``path`` and show its report."""
        ctx = self.session.ctx
        self.import_button.setEnabled(False)
        say(self.message, f"Importing {Path(path).name}...")
        run(self, lambda: read_and_import(ctx, path), done=self._imported, failed=self._import_failed,
            label="Importing the item master...")  # fmt: skip

    def _imported(self, report: ImportReport) -> None:
        self.import_button.setEnabled(True)
        counts = f"{report.added} added, {report.skipped} skipped, {report.refused} refused"
        say(self.message, f"{report.filename}: {counts}.", error=bool(report.refused))
        self._open(ImportReportDialog(report, self))

    def _import_failed(self, exc: BaseException) -> None:
        self.import_button.setEnabled(True)
        self._failed(exc)

    def opening_stock(self) -> None:
        x = self.current()
        if x is None:
            return
        dialog = OpeningStockDialog(self.session, x, self)
        dialog.saved.connect(self._opened)
        self._open(dialog)

    def _opened(self, b: BatchView) -> None:
        x = self.current()
        name = f"{x.name} " if x is not None else ""
        say(self.message, f"Opening stock entered: {name}batch {b.batch_number}, {b.on_hand} on hand.")
