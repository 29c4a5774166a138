"""Suppliers: the distributors the clinic buys from, searched as you type (name, code, GSTIN, contact, phone); the
form beside the list adds one or edits the chosen one (name, contact, phone, email, address, GSTIN with its state
shown as typed, payment terms, drug licence) and (de)activates it. The service's refusal of a field is shown
under that field. Reading is ``inventory.view``; adding, editing and (de)activating ``inventory.purchase``.

Keyboard: Enter in a field saves, Alt+N starts a new supplier, Down in the search goes to the list."""

from __future__ import annotations

import uuid
from typing import Any

from hms_desktop.services.inventory.suppliers import (
    SupplierInput,
    SupplierView,
    create_supplier,
    set_supplier_active,
    suppliers,
    update_supplier,
)
from hms_desktop.validation import GST_STATE_CODES
from ui.docks.inventory.purchase_common import (
    WatchedTab,
    button,
    cell,
    fill,
    key_of,
    list_table,
    message_of,
    note_label,
    say,
    select_key,
)
from ui.forms import FieldErrors, find_data
from ui.qt import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QSplitter,
    Qt,
    QTimer,
    QVBoxLayout,
    QWidget,
    isValid,
)
from ui.session import AppSession
from ui.worker import run

HEADERS = ("Code", "Name", "GSTIN", "State", "Phone", "Terms", "Status")


def _line(name: str, placeholder: str = "") -> QLineEdit:
    edit = QLineEdit()
    edit.setObjectName(name)
    edit.setPlaceholderText(placeholder)
    return edit


class SuppliersTab(WatchedTab):
    WATCHED = ("suppliers",)

    def __init__(self, session: AppSession, parent: QWidget | None = None) -> None:
        super().__init__(session, parent)
        self.manage = session.can("inventory.purchase")
        self.rows: dict[uuid.UUID, SupplierView] = {}
        self.editing: SupplierView | None = None
        self.request_id = uuid.uuid4()  # one per new supplier form: a double-clicked Save adds one
        self.saving = False
        self.search = _line("supplierSearch", "Search suppliers: name, code, GSTIN, contact or phone")
        self.search.setClearButtonEnabled(True)
        self.table = list_table("suppliersTable", HEADERS, 1)
        self.table.itemSelectionChanged.connect(self._chosen)
        self.count = QLabel()
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.timeout.connect(lambda: self.refresh(force=True))
        self.search.textChanged.connect(lambda _t: self._debounce.start(150))
        self.search.returnPressed.connect(self.table.setFocus)
        left = QWidget()
        lbox = QVBoxLayout(left)
        lbox.setContentsMargins(0, 0, 0, 0)
        lbox.addWidget(self.search)
        lbox.addWidget(self.table, 1)
        lbox.addWidget(self.count)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(self._form())
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setSizes([760, 560])
        QVBoxLayout(self).addWidget(split)
        self.new_supplier()

    def _form(self) -> QWidget:
        self.box = QGroupBox("New supplier")
        form = QFormLayout()
        self.name = _line("supplierName", "as on the supplier's bill")
        self.contact = _line("supplierContact", "the person who takes orders")
        self.phone = _line("supplierPhone", "landline with STD code, or mobile")
        self.email = _line("supplierEmail", "orders@...")
        self.address = _line("supplierAddress", "street, city, PIN")
        self.gstin = _line("supplierGstin", "15 characters, e.g. 29AABCM1234F1Z5")
        self.gstin.textChanged.connect(self._gstin_typed)
        self.state = QComboBox()
        self.state.setObjectName("supplierState")
        self.state.addItem("not known", None)
        for code, state in sorted(GST_STATE_CODES.items(), key=lambda kv: kv[1]):
            self.state.addItem(f"{state} ({code})", code)
        self.state.setToolTip("Taken from the GSTIN; chosen here only for a supplier without one (CGST+SGST or IGST)")
        self.terms = QSpinBox()
        self.terms.setObjectName("supplierTerms")
        self.terms.setRange(0, 365)
        self.terms.setSuffix(" days")
        self.terms.setSpecialValueText("on delivery")
        self.licence = _line("supplierLicence", "drug licence number, as printed on the bill")
        for label, w in (("Name *", self.name), ("Contact person", self.contact), ("Phone", self.phone),
                         ("Email", self.email), ("Address", self.address), ("GSTIN", self.gstin),
                         ("State", self.state), ("Payment terms", self.terms),
                         ("Drug licence no.", self.licence)):  # fmt: skip
            form.addRow(label, w)
        general = QLabel()
        fields: dict[str, QWidget] = {"name": self.name, "contact_name": self.contact, "phone": self.phone,
                                      "email": self.email, "address": self.address, "gstin": self.gstin,
                                      "state_code": self.state, "payment_terms_days": self.terms,
                                      "drug_licence_number": self.licence}  # fmt: skip
        self.errors = FieldErrors(form, fields, general)
        for w in (self.name, self.contact, self.phone, self.email, self.address, self.gstin, self.licence):
            w.returnPressed.connect(self.save)
        self.save_button = button("Add supplier", "saveSupplier", self.save, "Enter in a field saves")
        self.new_button = button("&New supplier", "newSupplier", self.new_supplier, "Alt+N")
        self.active_button = button("Deactivate", "supplierActive", self.toggle_active,
                                    "An inactive supplier takes no new order or receipt")  # fmt: skip
        self.message = note_label("supplierMessage")
        buttons = QHBoxLayout()
        for b in (self.save_button, self.new_button, self.active_button):
            buttons.addWidget(b)
        buttons.addStretch()
        fbox = QVBoxLayout(self.box)
        fbox.addWidget(general)
        fbox.addLayout(form)
        fbox.addLayout(buttons)
        fbox.addWidget(self.message)
        fbox.addStretch()
        for b in (self.save_button, self.new_button, self.active_button):
            b.setVisible(self.manage)
        for f in fields.values():
            f.setEnabled(self.manage)
        return self.box

    # --- the list

    def fetch(self) -> list[SupplierView]:
        return suppliers(self.session.ctx, self.search.text().strip())

    def loaded(self, rows: list[SupplierView]) -> None:
        self.rows = {s.id: s for s in rows}
        fill(self.table, [[
            s.code, s.name, s.gstin or "", s.state_name, s.phone,
            cell(f"{s.payment_terms_days} days" if s.payment_terms_days else "on delivery", right=True),
            "active" if s.is_active else "INACTIVE",
        ] for s in rows], [s.id for s in rows])  # fmt: skip
        self.count.setText(f"{len(rows)} supplier{'s' if len(rows) != 1 else ''}")
        if self.editing is not None and self.editing.id in self.rows:
            self.editing = self.rows[self.editing.id]
            self._active_text()

    def fetch_failed(self, message: str) -> None:
        self.count.setText(message)

    def _chosen(self) -> None:
        key = key_of(self.table)
        s = self.rows.get(key) if key is not None else None
        if s is not None:
            self.edit(s)

    # --- the form

    def edit(self, s: SupplierView) -> None:
        self.editing = s
        self.box.setTitle(f"{s.code}  {s.name}")
        self.save_button.setText("Save changes")
        self.name.setText(s.name)
        self.contact.setText(s.contact_name)
        self.phone.setText(s.phone)
        self.email.setText(s.email)
        self.address.setText(s.address)
        self.gstin.setText(s.gstin or "")
        self.state.setCurrentIndex(max(0, find_data(self.state, s.state_code)))
        self.terms.setValue(s.payment_terms_days)
        self.licence.setText(s.drug_licence_number)
        self.errors.clear()
        self.message.hide()
        self._active_text()

    def new_supplier(self) -> None:
        self.editing = None
        self.request_id = uuid.uuid4()
        self.box.setTitle("New supplier")
        self.save_button.setText("Add supplier")
        for w in (self.name, self.contact, self.phone, self.email, self.address, self.gstin, self.licence):
            w.clear()
        self.state.setCurrentIndex(0)
        self.terms.setValue(30)
        self.errors.clear()
        self.message.hide()
        self.table.blockSignals(True)
        self.table.clearSelection()
        self.table.blockSignals(False)
        self._active_text()
        if self.manage:
            self.name.setFocus()

    def _active_text(self) -> None:
        s = self.editing
        self.active_button.setEnabled(s is not None and not self.saving)
        self.active_button.setText("Activate" if s is not None and not s.is_active else "Deactivate")

    def _gstin_typed(self, text: str) -> None:
        """The state follows the GSTIN's first two digits; without a GSTIN it may be chosen."""
        code = text.strip()[:2]
        if code in GST_STATE_CODES:
            self.state.setCurrentIndex(max(0, find_data(self.state, code)))
        self.state.setEnabled(self.manage and not text.strip())

    def data(self) -> SupplierInput:
        gstin = self.gstin.text().strip()
        return SupplierInput(
            name=self.name.text(), gstin=gstin or None, state_code=None if gstin else self.state.currentData(),
            contact_name=self.contact.text(), phone=self.phone.text(), email=self.email.text(),
            address=self.address.text(), payment_terms_days=self.terms.value(),
            drug_licence_number=self.licence.text(),
        )  # fmt: skip

    def save(self) -> None:
        if not self.manage or self.saving:
            return
        ctx, data, editing, request_id = self.session.ctx, self.data(), self.editing, self.request_id
        self._busy(True)
        if editing is None:
            run(self, lambda: create_supplier(ctx, data, request_id=request_id), done=self._saved,
                failed=self._failed, label="Saving the supplier...")  # fmt: skip
        else:
            run(self, update_supplier, ctx, editing.id, data, done=self._saved, failed=self._failed,
                label="Saving the supplier...")  # fmt: skip

    def _busy(self, on: bool) -> None:
        self.saving = on
        self.save_button.setEnabled(not on)
        self._active_text()
        if on:
            self.errors.clear()
            self.message.hide()

    def _saved(self, s: SupplierView) -> None:
        if not isValid(self):
            return
        self._busy(False)
        added = self.editing is None
        self.rows[s.id] = s
        self.edit(s)
        say(self.message, f"{'Added' if added else 'Saved'} {s.code} {s.name}.")
        self.refresh(force=True)
        select_key(self.table, s.id)

    def _failed(self, exc: BaseException) -> None:
        if not isValid(self):
            return
        self._busy(False)
        self.errors.show(exc)

    def toggle_active(self) -> None:
        s = self.editing
        if s is None or not self.manage or self.saving:
            return
        self._busy(True)
        run(self, set_supplier_active, self.session.ctx, s.id, not s.is_active, done=self._toggled,
            failed=self._toggle_failed)  # fmt: skip

    def _toggled(self, s: SupplierView) -> None:
        if not isValid(self):
            return
        self._busy(False)
        self.edit(s)
        say(self.message, f"{s.name} is {'active again' if s.is_active else 'inactive: no new orders or receipts'}.")

    def _toggle_failed(self, exc: BaseException) -> None:
        if isValid(self):
            self._busy(False)
            say(self.message, message_of(exc), error=True)

    def keyPressEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        if event.key() == Qt.Key.Key_Down and self.search.hasFocus():
            self.table.setFocus()
            return
        super().keyPressEvent(event)
