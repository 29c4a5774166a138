"""The visit the Doctor dock has open: every tab of the dock is told of it with ``set_visit``."""

from __future__ import annotations

import uuid
from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True)
class Visit:
    patient_id: uuid.UUID
    patient_name: str
    patient_code: str
    appointment_id: uuid.UUID | None  # None: a patient opened outside the queue (history only)
    consultation_id: uuid.UUID | None  # the open consultation, once started
    doctor_id: uuid.UUID | None  # the signed-in doctor's profile; None for a nurse
    completed: bool = False  # the consultation is completed: the tabs show, and edits are amendments
