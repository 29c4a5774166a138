"""Default values of the clinic's settings (``hospital_settings`` key -> JSON value)."""

from __future__ import annotations

from typing import Any

DEFAULT_SETTINGS: dict[str, Any] = {
    "timezone": "Asia/Kolkata",
    "currency": "INR",
    "fiscal_year_start_month": 4,
    "idle_lock_minutes": 10,
    "invoice_prefix": "INV",
    "patient_prefix": "PAT",
    "appointment_prefix": "APT",
    "patient_code_padding": 5,
    "patient_code_reset": "yearly",
    "senior_citizen_age": 60,
    "pharmacy_return_days": 7,  # a patient may return unopened medicines this many days after the sale
    "queue_priority_groups": ["senior_citizen", "pregnant", "differently_abled"],
    "smtp_host": "",
    "smtp_port": 587,
    "smtp_tls": "starttls",
    "smtp_user": "",
    "smtp_from": "",
}
