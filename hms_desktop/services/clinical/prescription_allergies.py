"""The allergy check of a prescription: a line whose medicine touches one of the patient's active allergies is
refused unless the doctor gives a reason to override it; with a reason it is saved, and the prescription service
writes an ``allergy_override`` audit record.

What matches is decided by ``hms_desktop.services.clinical.allergies.allergy_matches``: each ingredient of the
generic name (every part of a combination), the brand name for a medicine allergy, and drug classes
(penicillins, cephalosporins, sulfonamides, NSAIDs, fluoroquinolones, macrolides, statins); food and other
allergies never match a medicine.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from db.models.pharmacy import Medicine
from hms_desktop.context import Context, Transaction
from hms_desktop.errors import ValidationError
from hms_desktop.security.permissions import requires
from hms_desktop.services.clinical.allergies import AllergyMatch, active_allergies, allergy_matches
from hms_desktop.services.clinical.prescription_input import CleanItem, PrescriptionItemInput


@dataclass(frozen=True, kw_only=True)
class AllergyWarning:
    item_index: int  # which line (from 0)
    medicine_name: str
    allergen: str
    ingredient: str  # what matched: "amoxicillin"
    severity: str
    reason: str  # "Augmentin 625 Duo contains Amoxicillin (allergy: Amoxicillin, severe)."


def check_items(tx: Transaction, patient_id: uuid.UUID, items: Sequence[CleanItem]) -> dict[int, list[AllergyMatch]]:
    """The matches per line; ``ValidationError`` on the first matching line that has no override reason."""
    allergies = active_allergies(tx, patient_id)
    if not allergies:
        return {}
    out: dict[int, list[AllergyMatch]] = {}
    for i, item in enumerate(items):
        found = allergy_matches(allergies, item.generic_name, item.medicine_name)
        if not found:
            continue
        if not item.allergy_override_reason:
            raise ValidationError(
                f"items[{i}].allergy_override_reason",
                f"Line {i + 1}: {found[0].reason} To prescribe it anyway, give the reason for overriding the allergy.",
            )
        out[i] = found
    return out


@requires("prescriptions.view")
def allergy_warnings(
    ctx: Context, patient_id: uuid.UUID, items: Sequence[PrescriptionItemInput]
) -> list[AllergyWarning]:
    """What the screen shows while the doctor writes: each line that touches an active allergy (nothing saved).
    A line picked from the catalogue is checked with the catalogue's names where it has none of its own."""
    with ctx.transaction(readonly=True) as tx:
        allergies = active_allergies(tx, patient_id)
        out: list[AllergyWarning] = []
        if not allergies:
            return out
        for i, item in enumerate(items):
            name, generic = item.medicine_name, item.generic_name
            if item.medicine_id is not None and not (name and generic):
                med = tx.session.get(Medicine, item.medicine_id)
                if med is not None:
                    name, generic = name or med.name, generic or med.generic_name
            out += [
                AllergyWarning(
                    item_index=i,
                    medicine_name=name,
                    allergen=m.allergy.allergen,
                    ingredient=m.ingredient,
                    severity=m.allergy.severity,
                    reason=m.reason,
                )  # fmt: skip
                for m in allergy_matches(allergies, generic, name)
            ]
        return out
