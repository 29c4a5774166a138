"""A doctor's consultation fees: OPD, follow-up and emergency amounts in rupees from a date (a blank amount is
left as it is), the free follow-up window, and the history of every fee."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from hms_desktop.errors import ValidationError
from hms_desktop.money import clean_rupees
from hms_desktop.services.reception.doctor_fees import FeeInput, FeeView, list_fees, set_fee
from ui.docks.admin.common import button, date_edit, date_of, fill, line, message_label, say, show_date, table
from ui.forms import FieldErrors
from ui.qt import QFormLayout, QGroupBox, QLabel, QSpinBox, QVBoxLayout, QWidget
from ui.session import AppSession
from ui.worker import run

FEE_LABELS = {"opd": "OPD", "follow_up": "Follow-up", "emergency": "Emergency"}


def save_fees(ctx: Any, doctor_id: uuid.UUID, amounts: dict[str, str], free_days: int, start: date) -> list[FeeView]:
    """Runs on the worker: every amount is checked before any fee is written; an error names its fee's field."""
    for fee_type, text in amounts.items():
        try:
            clean_rupees(text)
        except ValidationError as exc:
            raise ValidationError(fee_type, exc.message) from exc
    if not amounts:
        raise ValidationError("opd", "Enter at least one amount.")
    saved = []
    for fee_type, text in amounts.items():
        days = free_days if fee_type == "follow_up" else 0
        try:
            saved.append(set_fee(ctx, doctor_id, FeeInput(fee_type, text, days, start)))
        except ValidationError as exc:
            raise ValidationError(fee_type if exc.field == "amount_rupees" else exc.field, exc.message) from exc
    return saved


class FeesPanel(QWidget):
    def __init__(self, session: AppSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.manage = session.can("doctors.manage")
        self.doctor: Any = None  # DoctorView
        self.form_box = QGroupBox("New fees (leave an amount blank to keep the current one)")
        form = QFormLayout(self.form_box)
        self.amounts = {
            "opd": line("feeOpd", "rupees, e.g. 500", self.save),
            "follow_up": line("feeFollowUp", "rupees, e.g. 300", self.save),
            "emergency": line("feeEmergency", "rupees, e.g. 1000", self.save),
        }
        for fee_type, edit in self.amounts.items():
            form.addRow(f"{FEE_LABELS[fee_type]} fee (₹)", edit)
        self.free_days = QSpinBox()
        self.free_days.setObjectName("feeFreeDays")
        self.free_days.setRange(0, 999)  # the service says what is allowed
        self.free_days.setSuffix(" days")
        self.free_days.setToolTip("A follow-up within this many days of a paid visit is free.")
        self.start = date_edit("feeFrom")
        form.addRow("Free follow-up within", self.free_days)
        form.addRow("In force from", self.start)
        general = QLabel()
        form.insertRow(0, general)
        fields: dict[str, QWidget] = {
            **self.amounts,
            "follow_up_free_days": self.free_days,
            "effective_from": self.start,
        }
        self.errors = FieldErrors(form, fields, general)
        self.save_button = button("Save fees", "saveFees", self.save)
        form.addRow("", self.save_button)
        self.form_box.setVisible(self.manage)
        self.message = message_label("feesMessage")
        self.history = table("feeHistory", ["Fee", "Amount (₹)", "Free follow-up days", "From", "Until"])
        box = QVBoxLayout(self)
        box.addWidget(self.form_box)
        box.addWidget(self.message)
        box.addWidget(QLabel("Fee history"))
        box.addWidget(self.history, 1)

    def set_doctor(self, doctor: Any) -> None:
        self.doctor = doctor
        for edit in self.amounts.values():
            edit.clear()
        self.errors.clear()
        say(self.message, "")
        fill(self.history, [], [])
        self.form_box.setEnabled(doctor is not None and doctor.is_active)
        if doctor is not None:
            self.refresh()

    def refresh(self) -> None:
        if self.doctor is not None:
            run(self, list_fees, self.session.ctx, self.doctor.id, done=self._loaded)

    def _loaded(self, fees: list[FeeView]) -> None:
        rows = [
            [
                FEE_LABELS.get(f.fee_type, f.fee_type),
                str(f.amount_rupees),
                str(f.follow_up_free_days) if f.fee_type == "follow_up" else "",
                show_date(f.effective_from),
                show_date(f.effective_to) or "open",
            ]
            for f in fees
        ]
        fill(self.history, rows, [f.id for f in fees])
        current = {f.fee_type: f for f in fees if f.effective_to is None}
        for fee_type, edit in self.amounts.items():
            fee = current.get(fee_type)
            edit.setPlaceholderText(f"now {fee.amount_rupees}; blank keeps it" if fee else "not set")
        if "follow_up" in current:
            self.free_days.setValue(current["follow_up"].follow_up_free_days)

    def save(self) -> None:
        if self.doctor is None or not self.manage or not self.save_button.isEnabled():
            return
        self.errors.clear()
        amounts = {k: e.text().strip() for k, e in self.amounts.items() if e.text().strip()}
        ctx, doctor_id, days, start = self.session.ctx, self.doctor.id, self.free_days.value(), date_of(self.start)
        assert start is not None
        self.save_button.setEnabled(False)
        run(
            self,
            lambda: save_fees(ctx, doctor_id, amounts, days, start),
            done=self._saved,
            failed=self._failed,
            label="Saving fees...",
        )

    def _saved(self, saved: list[FeeView]) -> None:
        self.save_button.setEnabled(True)
        for edit in self.amounts.values():
            edit.clear()
        say(self.message, "Saved: " + ", ".join(f"{FEE_LABELS[f.fee_type]} ₹{f.amount_rupees}" for f in saved) + ".")
        self.refresh()

    def _failed(self, exc: BaseException) -> None:
        self.save_button.setEnabled(True)
        self.errors.show(exc)
        self.refresh()  # a fee saved before the one that failed shows in the history
