"""Taxes tab: the tax rules (GST and others) with their rates, HSN/SAC codes and dates in force; add or edit a
rule, and end one (set its last day, so a new rate can start the day after)."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from hms_desktop.services.admin.taxes import (
    TAX_APPLIES_TO,
    TAX_KINDS,
    TaxInput,
    TaxView,
    create_tax,
    end_tax,
    list_taxes,
    update_tax,
)
from ui.docks.admin.common import (
    AdminTab,
    button,
    date_edit,
    date_of,
    fill,
    line,
    message_label,
    required_date,
    row_key,
    row_of,
    say,
    set_date,
    show_date,
    table,
)
from ui.forms import FieldErrors
from ui.qt import QCheckBox, QComboBox, QFormLayout, QGroupBox, QLabel, QVBoxLayout, QWidget
from ui.session import AppSession
from ui.worker import run

HEADERS = ["Name", "Kind", "Rate %", "HSN/SAC", "Applies to", "From", "To", "CGST+SGST"]


class TaxesTab(AdminTab):
    WATCHED = ("tax_configurations",)

    def __init__(self, session: AppSession, parent: QWidget | None = None) -> None:
        super().__init__(session, parent)
        self.manage = session.can("settings.manage")
        self.taxes: dict[uuid.UUID, TaxView] = {}
        self.editing: TaxView | None = None
        self.table = table("taxesTable", HEADERS)
        self.table.itemSelectionChanged.connect(self._selected)
        self.form_box = QGroupBox("New tax rule")
        form = QFormLayout()
        self.name = line("taxName", "e.g. GST 18% consultations", self.save)
        self.kind = QComboBox()
        self.kind.setObjectName("taxKind")
        self.kind.addItems(list(TAX_KINDS))
        self.rate = line("taxRate", "percent, e.g. 18 or 2.5", self.save)
        self.code = line("taxHsnSac", "4, 6 or 8 digits; blank: the default for its kind of item", self.save)
        self.applies_to = QComboBox()
        self.applies_to.setObjectName("taxAppliesTo")
        self.applies_to.addItems(list(TAX_APPLIES_TO))
        self.effective_from = date_edit("taxFrom")
        self.effective_to = date_edit("taxTo", optional=True)
        self.split = QCheckBox("Split into CGST and SGST within the state")
        self.split.setObjectName("taxSplit")
        self.split.setChecked(True)
        for label, w in (
            ("Name *", self.name),
            ("Kind", self.kind),
            ("Rate % *", self.rate),
            ("HSN/SAC code", self.code),
            ("Applies to", self.applies_to),
            ("In force from", self.effective_from),
            ("Until (last day)", self.effective_to),
            ("", self.split),
        ):
            form.addRow(label, w)
        general = QLabel()
        fields: dict[str, QWidget] = {
            "name": self.name,
            "kind": self.kind,
            "rate_percent": self.rate,
            "hsn_sac_code": self.code,
            "applies_to": self.applies_to,
            "effective_from": self.effective_from,
            "effective_to": self.effective_to,
        }
        self.errors = FieldErrors(form, fields, general)
        self.save_button = button("Add tax rule", "saveTax", self.save)
        self.new_button = button("New", "newTax", self.clear)
        fbox = QVBoxLayout(self.form_box)
        fbox.addWidget(general)
        fbox.addLayout(form)
        fbox.addLayout(row_of(self.save_button, self.new_button))
        self.end_box = QGroupBox("End the selected rule")
        eform = QFormLayout(self.end_box)
        self.end_date = date_edit("taxEndDate")
        eform.addRow("Last day in force", self.end_date)
        end_general = QLabel()
        eform.insertRow(0, end_general)
        self.end_errors = FieldErrors(eform, {"effective_to": self.end_date}, end_general)
        self.end_button = button("End rule", "endTax", self.end)
        eform.addRow("", self.end_button)
        self.status = message_label("taxesStatus")
        box = QVBoxLayout(self)
        box.addWidget(self.table, 1)
        box.addWidget(self.form_box)
        box.addWidget(self.end_box)
        box.addWidget(self.status)
        self.form_box.setVisible(self.manage)
        self.end_box.setVisible(self.manage)
        self.end_box.setEnabled(False)

    def refresh(self) -> None:
        run(self, list_taxes, self.session.ctx, done=self._loaded)

    def _loaded(self, taxes: list[TaxView]) -> None:
        self.taxes = {t.id: t for t in taxes}
        rows = [
            [
                t.name,
                t.kind,
                f"{t.rate_percent:g}",
                t.hsn_sac_code or "(default)",
                t.applies_to,
                show_date(t.effective_from),
                show_date(t.effective_to) or "open",
                "yes" if t.intra_state_split else "no",
            ]
            for t in taxes
        ]
        fill(self.table, rows, [t.id for t in taxes])

    def selected(self) -> TaxView | None:
        key = row_key(self.table)
        return self.taxes.get(key) if key is not None else None

    def _selected(self) -> None:
        t = self.selected()
        if t is None:
            return
        self.editing = t
        self.form_box.setTitle(f"Edit {t.name}")
        self.save_button.setText("Save changes")
        self.name.setText(t.name)
        self.kind.setCurrentText(t.kind)
        self.rate.setText(f"{t.rate_percent:g}")
        self.code.setText(t.hsn_sac_code)
        self.applies_to.setCurrentText(t.applies_to)
        set_date(self.effective_from, t.effective_from)
        set_date(self.effective_to, t.effective_to)
        self.split.setChecked(t.intra_state_split)
        self.errors.clear()
        self.end_box.setEnabled(True)
        self.end_box.setTitle(f"End {t.name}")

    def clear(self) -> None:
        self.editing = None
        self.form_box.setTitle("New tax rule")
        self.save_button.setText("Add tax rule")
        for w in (self.name, self.rate, self.code):
            w.clear()
        set_date(self.effective_to, None)
        self.split.setChecked(True)
        self.errors.clear()
        self.table.clearSelection()
        self.end_box.setEnabled(False)
        self.end_box.setTitle("End the selected rule")
        self.name.setFocus()

    def data(self) -> TaxInput:
        start = date_of(self.effective_from)
        assert start is not None
        return TaxInput(
            name=self.name.text(),
            rate_percent=self.rate.text(),
            applies_to=self.applies_to.currentText(),
            effective_from=start,
            hsn_sac_code=self.code.text(),
            kind=self.kind.currentText(),
            intra_state_split=self.split.isChecked(),
            effective_to=date_of(self.effective_to),
        )

    def save(self) -> None:
        if not self.manage or not self.save_button.isEnabled():
            return
        self.errors.clear()
        ctx, data, editing = self.session.ctx, self.data(), self.editing
        call: Callable[[], TaxView]
        if editing is None:
            call = lambda: create_tax(ctx, data)  # noqa: E731
        else:
            call = lambda: update_tax(ctx, editing.id, data)  # noqa: E731
        self.save_button.setEnabled(False)
        run(self, call, done=self._saved, failed=self._failed, label="Saving...")

    def _saved(self, t: TaxView) -> None:
        self.save_button.setEnabled(True)
        say(self.status, f"Saved {t.name} ({t.rate_percent:g}%).")
        self.clear()
        self.refresh()

    def _failed(self, exc: BaseException) -> None:
        self.save_button.setEnabled(True)
        self.errors.show(exc)

    def end(self) -> None:
        t = self.editing
        if t is None or not self.manage:
            return
        self.end_errors.clear()
        ctx, last = self.session.ctx, required_date(self.end_date)

        def done(v: TaxView) -> None:
            say(self.status, f"{v.name} ends on {show_date(v.effective_to)}.")
            self.clear()
            self.refresh()

        run(self, lambda: end_tax(ctx, t.id, last), done=done, failed=self.end_errors.show)
