"""Printing a patient's ID card: the PDF (Code 128 and QR carrying only the code) and its ``id_cards`` row.

The first print issues card ``<code>-1``; a reprint of the same card counts in ``print_count``; a
replacement (lost or damaged card) marks the old one replaced and issues ``-2``, ``-3``, ... Every print is
an audited event.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import func, select

from db.models.patients import IdCard, Patient
from hms_desktop.audit.trail import record
from hms_desktop.clinic_time import age_on, local_today
from hms_desktop.context import Context, Transaction
from hms_desktop.errors import NotFound
from hms_desktop.printing import IdCardData, render_id_card
from hms_desktop.security.permissions import requires
from hms_desktop.settings import LOGO_KEY, clinic_settings, current_hospital, setting_blob

TEMPLATE = "cr80-standard-v1"


@dataclass(frozen=True, kw_only=True)
class PrintedCard:
    card_number: str
    patient_code: str
    pdf: bytes
    print_count: int


def _card_data(tx: Transaction, p: Patient) -> IdCardData:
    today = local_today(clinic_settings(tx.session), tx.ctx.clock)
    hospital = current_hospital(tx.session)
    age = f"{age_on(p.date_of_birth, today)} Y" if p.date_of_birth else "Age -"
    if p.dob_is_approximate:
        age = f"~{age}"
    return IdCardData(
        hospital_name=hospital.name,
        hospital_phone=hospital.phone,
        logo=setting_blob(tx.session, hospital.id, LOGO_KEY),
        patient_name=p.full_name,
        patient_code=p.code,
        age_sex=f"{age} / {p.gender}",
        blood_group="" if p.blood_group == "unknown" else p.blood_group,
        photo=p.photo,
        issued_on=today,
        emergency_phone=p.emergency_contact_phone,
    )


@requires("patients.print_card")
def print_id_card(ctx: Context, patient_id: uuid.UUID, *, replace_lost: bool = False) -> PrintedCard:
    with ctx.transaction() as tx:
        p = tx.session.get(Patient, patient_id)
        if p is None or p.deleted_at is not None:
            raise NotFound("No such patient.")
        now = ctx.clock.now()
        card = tx.session.scalar(select(IdCard).where(IdCard.patient_id == p.id, IdCard.status == "active"))
        if card is not None and replace_lost:
            card.status = "replaced"
            tx.session.flush()
            card = None
        if card is None:
            issued = int(tx.session.scalar(select(func.count()).where(IdCard.patient_id == p.id)) or 0)
            card = IdCard(
                patient_id=p.id,
                card_number=f"{p.code}-{issued + 1}",
                barcode_data=p.code,
                qr_data=p.code,
                template=TEMPLATE,
                issued_at=now,
            )
            tx.session.add(card)
        pdf = render_id_card(_card_data(tx, p))
        card.print_count = (card.print_count or 0) + 1
        card.printed_at = now
        tx.session.flush()
        record(
            tx,
            "print",
            entity_type="id_cards",
            entity_id=card.id,
            patient_id=p.id,
            detail=f"ID card {card.card_number}, print {card.print_count}",
        )
        result = PrintedCard(card_number=card.card_number, patient_code=p.code, pdf=pdf, print_count=card.print_count)
        tx.commit()
        return result
