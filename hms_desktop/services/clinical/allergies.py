"""Patient allergies, and the check a prescription runs against them.

An allergy is to a medicine (its generic name: "Amoxicillin"), a drug class ("Penicillins", "NSAIDs"), a
food or something else, with the reaction and a severity (mild, moderate, severe, unknown). One patient
cannot have the same allergen active twice (compared without case or extra spaces). An allergy that was
refuted or has resolved is deactivated with a reason (kept for history, never deleted).

``allergy_matches(allergies, generic_name, medicine_name)`` is pure: which of the patient's active
allergies a medicine touches, and why. A medicine allergy matches an ingredient of the generic name (each
part of a combination, "Amoxicillin + Clavulanic acid"; strengths and salts aside: "Diclofenac sodium 50 mg"
is diclofenac) or the medicine's own name ("Augmentin"), by whole words, without case. A drug-class allergy
matches any ingredient in the class, by ``DRUG_CLASSES`` (below); a medicine allergy written as a class
("Penicillin", "Sulfa") is treated as that class too, since that is what a patient who says so means. Food
and other allergies never match a medicine. The table lists members of each class; it does not model
cross-reactivity between classes (penicillin -> cephalosporin): that stays the doctor's judgement.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from db.models.clinical import ALLERGEN_KINDS, ALLERGY_SEVERITIES, PatientAllergy
from db.models.patients import Patient
from hms_desktop.audit.trail import record
from hms_desktop.clinic_time import local_today
from hms_desktop.context import Context, Transaction
from hms_desktop.errors import Conflict, NotFound, ValidationError
from hms_desktop.security.permissions import requires
from hms_desktop.settings import clinic_settings
from hms_desktop.validation import clean_text

# Class -> (names that mean the class, members' generic names, suffixes every member's name ends with).
# Suffixes are used only where no other drug shares them ("-cillin", "-floxacin"; not "-statin": nystatin).
DRUG_CLASSES: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "penicillins": (
        ("penicillin", "penicillins", "penicillin antibiotics"),
        (
            "penicillin",
            "benzylpenicillin",
            "phenoxymethylpenicillin",
            "benzathine penicillin",
            "amoxicillin",
            "ampicillin",
            "cloxacillin",
            "dicloxacillin",
            "flucloxacillin",
            "oxacillin",
            "piperacillin",
            "ticarcillin",
            "carbenicillin",
            "nafcillin",
        ),
        ("cillin",),
    ),  # fmt: skip
    "cephalosporins": (
        ("cephalosporin", "cephalosporins"),
        (
            "cefalexin",
            "cephalexin",
            "cefadroxil",
            "cefazolin",
            "cefuroxime",
            "cefaclor",
            "cefprozil",
            "cefixime",
            "cefpodoxime",
            "cefdinir",
            "ceftriaxone",
            "cefotaxime",
            "ceftazidime",
            "cefoperazone",
            "cefepime",
            "cefoxitin",
            "ceftaroline",
            "cefditoren",
        ),
        (),
    ),  # fmt: skip
    "sulfonamides": (
        (
            "sulfonamide",
            "sulfonamides",
            "sulphonamide",
            "sulphonamides",
            "sulfa",
            "sulpha",
            "sulfa drugs",
            "sulpha drugs",
        ),
        (
            "sulfamethoxazole",
            "sulfadiazine",
            "silver sulfadiazine",
            "sulfasalazine",
            "sulfacetamide",
            "sulfadoxine",
            "sulfisoxazole",
            "cotrimoxazole",
            "co trimoxazole",
        ),
        (),
    ),  # fmt: skip
    "nsaids": (
        ("nsaid", "nsaids", "non steroidal anti inflammatory drugs", "non steroidal anti inflammatory"),
        (
            "ibuprofen",
            "diclofenac",
            "aceclofenac",
            "naproxen",
            "aspirin",
            "acetylsalicylic acid",
            "mefenamic acid",
            "ketorolac",
            "indomethacin",
            "piroxicam",
            "meloxicam",
            "lornoxicam",
            "etoricoxib",
            "celecoxib",
            "nimesulide",
            "ketoprofen",
            "dexketoprofen",
            "flurbiprofen",
            "etodolac",
        ),
        (),
    ),  # fmt: skip
    "fluoroquinolones": (
        ("fluoroquinolone", "fluoroquinolones", "quinolone", "quinolones"),
        (
            "ciprofloxacin",
            "ofloxacin",
            "levofloxacin",
            "moxifloxacin",
            "norfloxacin",
            "gatifloxacin",
            "prulifloxacin",
            "sparfloxacin",
            "nalidixic acid",
        ),
        ("floxacin",),
    ),  # fmt: skip
    "macrolides": (
        ("macrolide", "macrolides"),
        ("erythromycin", "azithromycin", "clarithromycin", "roxithromycin", "spiramycin"),
        (),
    ),
    "statins": (
        ("statin", "statins"),
        ("atorvastatin", "rosuvastatin", "simvastatin", "pravastatin", "lovastatin", "fluvastatin", "pitavastatin"),
        (),
    ),
}
_UNITS = {"mg", "mcg", "g", "gm", "ml", "iu", "w", "v", "ww", "wv", "percent", "tab", "tablet", "tablets",
          "cap", "capsule", "capsules", "syrup", "suspension", "injection", "inj", "drops", "cream", "ointment",
          "gel"}  # fmt: skip
_SALTS = {"sodium", "potassium", "calcium", "magnesium", "hydrochloride", "hcl", "trihydrate", "dihydrate",
          "monohydrate", "anhydrous", "sulphate", "sulfate", "phosphate", "acetate", "citrate", "maleate",
          "mesylate", "besylate", "succinate", "tartrate", "fumarate", "bromide", "chloride", "diethylamine",
          "betadex"}  # fmt: skip
_SPLIT = re.compile(r"\s*(?:\+|,|;|/|&|\band\b|\bwith\b)\s*")


@dataclass(frozen=True)
class AllergyInput:
    allergen: str  # "Amoxicillin", "Penicillins", "Peanuts"
    kind: str = "medicine"  # medicine, drug_class, food, other
    reaction: str = ""  # "Rash", "Anaphylaxis"
    severity: str = "unknown"  # mild, moderate, severe, unknown
    noted_on: date | None = None  # default: the clinic's today


@dataclass(frozen=True, kw_only=True)
class AllergyView:
    id: uuid.UUID
    patient_id: uuid.UUID
    allergen: str
    kind: str
    reaction: str
    severity: str
    noted_on: date | None
    is_active: bool


@dataclass(frozen=True, kw_only=True)
class AllergyMatch:
    allergy: AllergyView
    ingredient: str  # the ingredient (or the medicine's name) that matched: "amoxicillin"
    reason: str  # "Amoxicillin is in the class Penicillins (allergy: Penicillins, severe)."


def allergy_view(a: PatientAllergy) -> AllergyView:
    return AllergyView(id=a.id, patient_id=a.patient_id, allergen=a.allergen, kind=a.kind, reaction=a.reaction,
                       severity=a.severity, noted_on=a.noted_on, is_active=a.is_active)  # fmt: skip


def _words(text: str) -> tuple[str, ...]:
    plain = re.sub(r"sulph", "sulf", (text or "").lower())
    return tuple(re.findall(r"[a-z0-9]+", plain))


def _contains(haystack: tuple[str, ...], needle: tuple[str, ...]) -> bool:
    """``needle``'s words appear in ``haystack`` in a row."""
    n = len(needle)
    return n > 0 and any(haystack[i : i + n] == needle for i in range(len(haystack) - n + 1))


def ingredients(generic_name: str) -> list[tuple[str, ...]]:
    """The ingredients of a generic name, as words without strengths, dosage forms or salts:
    "Amoxicillin 500 mg + Clavulanate potassium 125 mg" -> [("amoxicillin",), ("clavulanate",)]."""
    found = []
    for part in _SPLIT.split(generic_name or ""):
        words = tuple(w for w in _words(part) if not any(ch.isdigit() for ch in w) and w not in _UNITS)
        core = tuple(w for w in words if w not in _SALTS) or words
        if core:
            found.append(core)
    return found


def drug_class_of(allergen: str) -> str | None:
    """The ``DRUG_CLASSES`` key an allergen names ("Penicillin", "NSAIDs", "sulpha drugs"), or None."""
    words = _words(allergen)
    for key, (names, _, _) in DRUG_CLASSES.items():
        if any(words == _words(n) for n in names):
            return key
    return None


def _in_class(key: str, ingredient: tuple[str, ...]) -> bool:
    _, members, suffixes = DRUG_CLASSES[key]
    if any(_contains(ingredient, _words(m)) for m in members):
        return True
    return any(w.endswith(s) for w in ingredient for s in suffixes)


def _severity(a: AllergyView) -> str:
    return a.severity if a.severity != "unknown" else "severity not known"


def allergy_matches(allergies: Iterable[AllergyView], generic_name: str, medicine_name: str) -> list[AllergyMatch]:
    """The active allergies ``generic_name`` (or, for a medicine allergy, ``medicine_name``) touches, in the
    order given, each once, with the ingredient that matched and a sentence for the doctor."""
    parts = ingredients(generic_name)
    brand = _words(medicine_name)
    matches = []
    for a in allergies:
        if not a.is_active or a.kind not in ("medicine", "drug_class"):
            continue
        label = f"(allergy: {a.allergen}, {_severity(a)})"
        key = drug_class_of(a.allergen)
        hit: AllergyMatch | None = None
        if key is not None:
            part = next((p for p in parts if _in_class(key, p)), None)
            if part is not None:
                name = " ".join(part)
                why = f"{name.capitalize()} is in the class {key.capitalize()} {label}."
                hit = AllergyMatch(allergy=a, ingredient=name, reason=why)
        if hit is None and a.kind == "medicine":
            wanted = _words(a.allergen)
            part = next((p for p in parts if _contains(p, wanted)), None)
            if part is not None:
                why = f"{medicine_name or generic_name} contains {a.allergen} {label}."
                hit = AllergyMatch(allergy=a, ingredient=" ".join(part), reason=why)
            elif _contains(brand, wanted):
                why = f"{medicine_name} is {a.allergen} {label}."
                hit = AllergyMatch(allergy=a, ingredient=" ".join(wanted), reason=why)
        if hit is not None:
            matches.append(hit)
    return matches


def _clean(data: AllergyInput, today: date) -> dict[str, object]:
    allergen = clean_text(data.allergen, "allergen", label="The allergen", max_len=120)
    if data.kind not in ALLERGEN_KINDS:
        raise ValidationError("kind", "Choose what the allergy is to: medicine, drug class, food or other.")
    if data.severity not in ALLERGY_SEVERITIES:
        raise ValidationError("severity", "Choose the severity: mild, moderate, severe or unknown.")
    if data.kind == "drug_class" and drug_class_of(allergen) is None:
        known = ", ".join(k.capitalize() for k in DRUG_CLASSES)
        raise ValidationError("allergen", f"{allergen} is not a drug class the app knows ({known}); "
                              "record it as a medicine allergy by its generic name.")  # fmt: skip
    noted = data.noted_on if data.noted_on is not None else today
    if not isinstance(noted, date) or noted > today:
        raise ValidationError("noted_on", "The date noted cannot be in the future.")
    return {
        "allergen": allergen,
        "kind": data.kind,
        "reaction": clean_text(data.reaction, "reaction", label="The reaction", required=False, max_len=300),
        "severity": data.severity,
        "noted_on": noted,
    }


def _patient(tx: Transaction, patient_id: uuid.UUID) -> Patient:
    p = tx.session.get(Patient, patient_id) if isinstance(patient_id, uuid.UUID) else None
    if p is None or p.deleted_at is not None:
        raise NotFound("That patient does not exist (the record may have been archived).")
    return p


def _active(tx: Transaction, patient_id: uuid.UUID) -> list[PatientAllergy]:
    return list(
        tx.session.scalars(
            select(PatientAllergy)
            .where(
                PatientAllergy.patient_id == patient_id,
                PatientAllergy.is_active.is_(True),
                PatientAllergy.deleted_at.is_(None),
            )
            .order_by(PatientAllergy.created_at, PatientAllergy.id)
        )
    )


def active_allergies(tx: Transaction, patient_id: uuid.UUID) -> list[AllergyView]:
    """The patient's active allergies, inside the caller's transaction (the prescription check reads these)."""
    return [allergy_view(a) for a in _active(tx, patient_id)]


def _no_duplicate(tx: Transaction, patient_id: uuid.UUID, allergen: str, exclude: uuid.UUID | None) -> None:
    key = allergen.casefold()
    same = next((a for a in _active(tx, patient_id) if a.id != exclude and a.allergen.casefold() == key), None)
    if same is not None:
        raise ValidationError("allergen", f"An allergy to {same.allergen} is already recorded for this patient.")


@requires("clinical.vitals")
def add_allergy(ctx: Context, patient_id: uuid.UUID, data: AllergyInput) -> AllergyView:
    with ctx.transaction() as tx:
        values = _clean(data, local_today(clinic_settings(tx.session), ctx.clock))
        patient = _patient(tx, patient_id)
        _no_duplicate(tx, patient.id, str(values["allergen"]), None)
        row = PatientAllergy(patient_id=patient.id, is_active=True, **values)
        tx.session.add(row)
        tx.flush()
        view = allergy_view(row)
        tx.commit()
        return view


def _allergy(tx: Transaction, allergy_id: uuid.UUID) -> PatientAllergy:
    a = tx.session.get(PatientAllergy, allergy_id) if isinstance(allergy_id, uuid.UUID) else None
    if a is None or a.deleted_at is not None:
        raise NotFound("That allergy record does not exist.")
    return a


@requires("clinical.vitals")
def update_allergy(ctx: Context, allergy_id: uuid.UUID, data: AllergyInput) -> AllergyView:
    """Replace an active allergy's fields with ``data`` (start from the view)."""
    with ctx.transaction() as tx:
        values = _clean(data, local_today(clinic_settings(tx.session), ctx.clock))
        row = _allergy(tx, allergy_id)
        if not row.is_active:
            raise Conflict(f"The allergy to {row.allergen} was deactivated; record it again if it is back.")
        _no_duplicate(tx, row.patient_id, str(values["allergen"]), row.id)
        for key, value in values.items():
            if getattr(row, key) != value:
                setattr(row, key, value)
        tx.flush()
        view = allergy_view(row)
        tx.commit()
        return view


@requires("clinical.vitals")
def deactivate_allergy(ctx: Context, allergy_id: uuid.UUID, reason: str) -> AllergyView:
    """Refuted or resolved: the allergy is kept, inactive, with the reason in the audit trail. Again: no change."""
    why = clean_text(reason, "reason", label="A reason (refuted, resolved, ...)", max_len=300)
    with ctx.transaction() as tx:
        row = _allergy(tx, allergy_id)
        if row.is_active:
            row.is_active = False
            record(tx, "allergy_deactivated", entity_type="patient_allergies", entity_id=str(row.id),
                   patient_id=row.patient_id, detail=why)  # fmt: skip
            tx.flush()
        view = allergy_view(row)
        tx.commit()
        return view


@requires("patients.view")
def list_allergies(ctx: Context, patient_id: uuid.UUID, *, include_inactive: bool = False) -> list[AllergyView]:
    """The patient's allergies, active ones (or all, inactive after active), oldest first."""
    with ctx.transaction(readonly=True) as tx:
        _patient(tx, patient_id)
        if not include_inactive:
            return active_allergies(tx, patient_id)
        rows = tx.session.scalars(
            select(PatientAllergy)
            .where(PatientAllergy.patient_id == patient_id, PatientAllergy.deleted_at.is_(None))
            .order_by(PatientAllergy.is_active.desc(), PatientAllergy.created_at, PatientAllergy.id)
        )
        return [allergy_view(a) for a in rows]
