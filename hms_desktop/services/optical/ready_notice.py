""" "Your glasses are ready": the message to the patient when an optical order or a repair becomes ready.

Queued in the transaction that moves the order or repair to ready (``messaging.enqueue``), so it exists
exactly when the step does; the notifications worker sends it (SMS to the patient's mobile, else email).
Rules:
- the template is the clinic's ``optical_ready`` template for the channel (Admin > Messages), else the default;
- nothing is queued when the patient has neither a mobile number nor an email, or has withdrawn their
  communication consent (their latest ``communication`` consent is withdrawn): the step still happens, and the
  counter sees "not notified" in the order's history note;
- one message per time the item becomes ready: the queue's de-duplication key names the item and the instant
  it became ready, so a retried step never sends twice while a remake that becomes ready again does send.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select

from db.models.patients import Patient, PatientConsent
from hms_desktop.context import Transaction
from hms_desktop.services.messaging.queue import enqueue
from hms_desktop.services.messaging.templates import render_event
from hms_desktop.settings import current_hospital

EVENT = "optical_ready"


def _withdrew_communication(tx: Transaction, patient_id: uuid.UUID) -> bool:
    latest = tx.session.execute(
        select(PatientConsent.withdrawn_at)
        .where(
            PatientConsent.patient_id == patient_id,
            PatientConsent.consent_type == "communication",
            PatientConsent.deleted_at.is_(None),
        )
        .order_by(PatientConsent.signed_at.desc())
        .limit(1)
    ).first()
    return latest is not None and latest[0] is not None


def queue_ready(tx: Transaction, *, patient: Patient, item: str, code: str, ready_at: datetime) -> str:
    """Queue the ready message for ``item`` ("spectacles", "repair of your spectacles") with reference ``code``.

    Returns the words for the status history: "SMS queued to 98450 00001", "email queued to ...", or why
    nothing was queued."""
    if _withdrew_communication(tx, patient.id):
        return "Patient not notified: they withdrew consent to messages."
    if patient.phone:
        channel, recipient = "sms", patient.phone
    elif patient.email:
        channel, recipient = "email", patient.email
    else:
        return "Patient not notified: no mobile number or email on record."
    hospital = current_hospital(tx.session)
    values = {
        "patient_name": patient.full_name,
        "item": item,
        "code": code,
        "clinic_name": hospital.name,
        "clinic_phone": hospital.phone or "",
    }
    message = render_event(tx, EVENT, channel, values)
    enqueue(
        tx,
        channel=channel,
        recipient=recipient,
        subject=message.subject,
        body=message.body,
        event_type=EVENT,
        dedupe_key=f"{EVENT}:{code}:{ready_at.strftime('%Y%m%dT%H%M%S')}",
        patient_id=patient.id,
        template_id=message.template_id,
    )
    shown = f"{recipient[:5]} {recipient[5:]}" if channel == "sms" else recipient
    return f"{'SMS' if channel == 'sms' else 'Email'} queued to {shown}."
