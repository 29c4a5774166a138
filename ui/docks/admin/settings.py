"""Settings tab: the hospital record and the clinic's settings (one Save, both checked before either is
written), the logo (a PNG or JPEG chosen from disk, with a preview) and the mail password (write-only: it goes
to the key store and is never shown)."""

from __future__ import annotations

import calendar
import zoneinfo
from dataclasses import dataclass
from typing import Any

from hms_desktop.errors import ValidationError
from hms_desktop.services.admin.clinic_time import zone_of
from hms_desktop.services.admin.hospital import (
    CODE_RESETS,
    SMTP_TLS_MODES,
    HospitalView,
    clean_settings,
    get_hospital,
    get_logo,
    get_settings,
    update_hospital,
    update_settings,
)
from hms_desktop.services.admin.setup import HospitalInput, hospital_values
from hms_desktop.validation import GST_STATE_CODES
from ui.docks.admin.common import AdminTab, button, line, message_label, row_of, say
from ui.docks.admin.logo_mail import LogoBox, MailPasswordBox
from ui.forms import FieldErrors
from ui.qt import (
    QComboBox,
    QCompleter,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QScrollArea,
    QSpinBox,
    Qt,
    QVBoxLayout,
    QWidget,
)
from ui.session import AppSession
from ui.worker import run

MONTHS = tuple(calendar.month_name[1:])
PREFIXES = (
    ("patient_prefix", "Patient code prefix"),
    ("appointment_prefix", "Appointment prefix"),
    ("invoice_prefix", "Invoice prefix"),
)
HOSPITAL_TEXT = (
    ("name", "Hospital name *"),
    ("address_line1", "Address"),
    ("address_line2", ""),
    ("city", "City"),
    ("pincode", "PIN code"),
    ("phone", "Phone"),
    ("email", "Email"),
    ("gstin", "GSTIN"),
    ("licence_number", "Licence number"),
)


@dataclass
class Loaded:
    hospital: HospitalView
    settings: dict[str, Any]
    logo: bytes | None


def spin(name: str, lo: int, hi: int, suffix: str = "") -> QSpinBox:
    box = QSpinBox()
    box.setObjectName(name)
    box.setRange(lo, hi)  # wide on purpose: the service says what is allowed
    box.setSuffix(suffix)
    return box


def combo(name: str, items: tuple[tuple[str, Any], ...], editable: bool = False) -> QComboBox:
    box = QComboBox()
    box.setObjectName(name)
    box.setEditable(editable)
    for label, data in items:
        box.addItem(label, data)
    return box


class SettingsTab(AdminTab):
    def __init__(self, session: AppSession, parent: QWidget | None = None) -> None:
        super().__init__(session, parent)
        self.manage = session.can("settings.manage")
        self.hospital: HospitalView | None = None
        self.general = QLabel()
        body = QWidget()
        box = QVBoxLayout(body)
        box.addWidget(self.general)
        self.hospital_box, self.settings_box = self._hospital_box(), self._settings_box()
        box.addWidget(self.hospital_box)
        box.addWidget(self.settings_box)
        self.save_button = button("Save settings", "saveSettings", self.save)
        self.status = message_label("settingsStatus")
        box.addLayout(row_of(self.save_button))
        box.addWidget(self.status)
        self.logo = LogoBox(session)
        self.mail_password = MailPasswordBox(session)
        box.addWidget(self.logo)
        box.addWidget(self.mail_password)
        box.addStretch()
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(body)
        QVBoxLayout(self).addWidget(scroll)
        self.save_button.setVisible(self.manage)
        for group in (self.hospital_box, self.settings_box):
            group.setEnabled(self.manage)

    def _hospital_box(self) -> QGroupBox:
        group = QGroupBox("Hospital")
        form = QFormLayout(group)
        self.fields: dict[str, QLineEdit] = {}
        for key, label in HOSPITAL_TEXT:
            edit = line(f"hospital_{key}", "", self.save)
            self.fields[key] = edit
            form.addRow(label, edit)
        self.state = combo(
            "hospital_state_code",
            (("", None), *sorted(((f"{n} ({c})", c) for c, n in GST_STATE_CODES.items()), key=lambda x: x[0])),
        )
        form.insertRow(4, "State", self.state)
        self.hospital_errors = FieldErrors(form, {**self.fields, "state_code": self.state}, self.general)
        return group

    def _settings_box(self) -> QGroupBox:
        group = QGroupBox("Clinic settings")
        form = QFormLayout(group)
        zones = sorted(zoneinfo.available_timezones() - {"localtime", "Factory"})
        self.timezone = combo("setting_timezone", tuple((z, z) for z in zones), editable=True)
        completer = QCompleter(zones, self.timezone)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.timezone.setCompleter(completer)
        self.settings: dict[str, QWidget] = {"timezone": self.timezone}
        self.settings["idle_lock_minutes"] = spin("setting_idle_lock_minutes", 0, 9999, " minutes")
        self.settings["fiscal_year_start_month"] = combo(
            "setting_fiscal_year_start_month", tuple((m, i) for i, m in enumerate(MONTHS, start=1))
        )
        for key, _label in PREFIXES:
            self.settings[key] = line(f"setting_{key}", "2 to 6 letters", self.save)
        self.settings["patient_code_padding"] = spin("setting_patient_code_padding", 0, 99, " digits")
        self.settings["patient_code_reset"] = combo(
            "setting_patient_code_reset", tuple((c.replace("_", " "), c) for c in CODE_RESETS)
        )
        self.settings["senior_citizen_age"] = spin("setting_senior_citizen_age", 0, 200, " years")
        self.settings["smtp_host"] = line("setting_smtp_host", "smtp.example.com", self.save)
        self.settings["smtp_port"] = spin("setting_smtp_port", 0, 99999)
        self.settings["smtp_tls"] = combo("setting_smtp_tls", tuple((m, m) for m in SMTP_TLS_MODES))
        self.settings["smtp_user"] = line("setting_smtp_user", "login (often the email address)", self.save)
        self.settings["smtp_from"] = line("setting_smtp_from", "sender address", self.save)
        labels = {
            "timezone": "Time zone",
            "idle_lock_minutes": "Lock the screen after",
            "fiscal_year_start_month": "Financial year starts in",
            **dict(PREFIXES),
            "patient_code_padding": "Patient number length",
            "patient_code_reset": "Patient numbers restart",
            "senior_citizen_age": "Senior citizen from",
            "smtp_host": "Mail server",
            "smtp_port": "Mail server port",
            "smtp_tls": "Mail encryption",
            "smtp_user": "Mail login",
            "smtp_from": "Send mail as",
        }
        for key, widget in self.settings.items():
            form.addRow(labels[key], widget)
        general = QLabel()
        form.insertRow(0, general)
        self.settings_errors = FieldErrors(form, dict(self.settings), general)
        return group

    # --- loading

    def activate(self) -> None:
        if not self.loaded:  # a form: loaded once, so coming back keeps what is being typed
            super().activate()

    def refresh(self) -> None:
        ctx = self.session.ctx
        run(self, lambda: Loaded(get_hospital(ctx), get_settings(ctx), get_logo(ctx)), done=self._loaded)

    def _loaded(self, data: Loaded) -> None:
        self.hospital = data.hospital
        for key, _label in HOSPITAL_TEXT:
            self.fields[key].setText(getattr(data.hospital, key) or "")
        self.state.setCurrentIndex(max(0, self.state.findData(data.hospital.state_code)))
        for key, widget in self.settings.items():
            value = data.settings.get(key)
            if isinstance(widget, QSpinBox):
                widget.setValue(int(value or 0))
            elif isinstance(widget, QComboBox) and widget.isEditable():
                widget.setCurrentText(str(value))
            elif isinstance(widget, QComboBox):
                widget.setCurrentIndex(max(0, widget.findData(value)))
            elif isinstance(widget, QLineEdit):
                widget.setText(str(value or ""))
        if data.logo is not None:
            self.logo.show_logo(data.logo)

    # --- saving

    def hospital_input(self) -> HospitalInput:
        text = {key: edit.text() for key, edit in self.fields.items()}
        code = self.state.currentData()
        return HospitalInput(**text, state=GST_STATE_CODES.get(code, "") if code else "", state_code=code)

    def changes(self) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for key, widget in self.settings.items():
            if isinstance(widget, QSpinBox):
                values[key] = widget.value()
            elif isinstance(widget, QComboBox) and widget.isEditable():
                values[key] = widget.currentText()
            elif isinstance(widget, QComboBox):
                values[key] = widget.currentData()
            elif isinstance(widget, QLineEdit):
                values[key] = widget.text()
        return values

    def save(self) -> None:
        if not self.manage or not self.save_button.isEnabled():
            return
        self.hospital_errors.clear()
        self.settings_errors.clear()
        ctx, hospital, changes = self.session.ctx, self.hospital_input(), self.changes()

        def write() -> Loaded:
            hospital_values(hospital)  # both forms are checked before either is written
            clean_settings(changes)
            return Loaded(update_hospital(ctx, hospital), update_settings(ctx, changes), None)

        self.save_button.setEnabled(False)
        say(self.status, "")
        run(self, write, done=self._saved, failed=self._failed, label="Saving settings...")

    def _saved(self, data: Loaded) -> None:
        self.save_button.setEnabled(True)
        self._loaded(data)  # shows the values as stored ("pat" -> "PAT")
        self.session.zone = zone_of(data.settings)  # every screen shows the new zone now, not at the next sign-in
        say(self.status, "Settings saved.")

    def _failed(self, exc: BaseException) -> None:
        self.save_button.setEnabled(True)
        if isinstance(exc, ValidationError) and exc.field in self.settings:
            self.settings_errors.show(exc)
        else:
            self.hospital_errors.show(exc)
