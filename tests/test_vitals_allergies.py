"""Vitals in human units stored as integers (plausible ranges, BMI, corrections) and allergies (one active per
allergen, kept when deactivated), with the allergy check a prescription runs."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from db.models.audit import AuditLog
from db.models.clinical import PatientAllergy, Vitals
from hms_desktop.context import Context
from hms_desktop.errors import Conflict, NotFound, PermissionDenied, ValidationError
from hms_desktop.services.clinical import allergies, vitals
from hms_desktop.services.clinical.allergies import AllergyInput, AllergyView, allergy_matches
from hms_desktop.services.clinical.vitals import VitalsInput
from tests.clinical_fixtures import ClinicalDay, checked_in, clinical_day


@pytest.fixture
def day(system_ctx: Context, make_user) -> ClinicalDay:  # type: ignore[no-untyped-def]
    return clinical_day(system_ctx, make_user)


def count(ctx: Context, model: type) -> int:
    with ctx.transaction(readonly=True) as tx:
        return int(tx.session.scalar(select(func.count()).select_from(model)) or 0)


# --- vitals -------------------------------------------------------------------------------------------------------


def test_record_a_full_set(day: ClinicalDay) -> None:
    data = VitalsInput(systolic_mmhg=128, diastolic_mmhg=84, pulse_bpm=88, respiratory_rate=18,
                       temperature=Decimal("98.6"), temperature_unit="F", spo2_percent=97,
                       weight_kg=Decimal("70.5"), height_cm="175", notes="seated, left arm")  # fmt: skip
    v = vitals.record_vitals(day.nurse_ctx, day.patient.id, data, appointment_id=day.appointment.id)
    assert v.blood_pressure == "128/84" and v.pulse_bpm == 88 and v.respiratory_rate == 18 and v.spo2_percent == 97
    assert v.temperature_c == Decimal("37.0") and v.weight_kg == Decimal("70.5") and v.height_cm == Decimal("175")
    assert v.bmi == Decimal("23.0") and v.notes == "seated, left arm" and v.appointment_id == day.appointment.id
    assert v.recorded_at == day.clock.now()
    with day.system.transaction(readonly=True) as tx:
        row = tx.session.get(Vitals, v.id)
        assert row is not None
        assert (row.temperature_tenths_c, row.weight_grams, row.height_mm, row.bmi_tenths) == (370, 70_500, 1750, 230)


def test_partial_sets_and_celsius(day: ClinicalDay) -> None:
    v = vitals.record_vitals(day.nurse_ctx, day.patient.id, VitalsInput(temperature="38.45"))
    assert v.temperature_c == Decimal("38.5") and v.blood_pressure == "" and v.bmi is None
    w = vitals.record_vitals(day.doctor_ctx, day.patient.id, VitalsInput(weight_kg="3.2"))  # a baby: no height
    assert w.weight_kg == Decimal("3.2") and w.bmi is None


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (VitalsInput(systolic_mmhg=400, diastolic_mmhg=20), "systolic_mmhg", "400 mmHg is not plausible"),
        (VitalsInput(systolic_mmhg=120, diastolic_mmhg=10), "diastolic_mmhg", "from 20 to 200"),
        (VitalsInput(systolic_mmhg=80, diastolic_mmhg=90), "systolic_mmhg", "must be higher than the diastolic"),
        (VitalsInput(systolic_mmhg=120, diastolic_mmhg=120), "systolic_mmhg", "must be higher"),
        (VitalsInput(systolic_mmhg=120), "diastolic_mmhg", "both numbers"),
        (VitalsInput(diastolic_mmhg=80), "systolic_mmhg", "both numbers"),
        (VitalsInput(pulse_bpm=19), "pulse_bpm", "from 20 to 300"),
        (VitalsInput(pulse_bpm="fast"), "pulse_bpm", "whole number"),  # type: ignore[arg-type]
        (VitalsInput(pulse_bpm=True), "pulse_bpm", "whole number"),  # type: ignore[arg-type]
        (VitalsInput(respiratory_rate=90), "respiratory_rate", "from 4 to 80"),
        (VitalsInput(temperature=Decimal("29.9")), "temperature", "from 30 to 45 C"),
        (VitalsInput(temperature=Decimal("45.1")), "temperature", "from 30 to 45 C"),
        (VitalsInput(temperature="114", temperature_unit="F"), "temperature", "from 86 to 113 F"),
        (VitalsInput(temperature="85.9", temperature_unit="f"), "temperature", "from 86 to 113 F"),
        (VitalsInput(temperature="37", temperature_unit="K"), "temperature_unit", "Celsius"),
        (VitalsInput(temperature="hot"), "temperature", "is a number"),
        (VitalsInput(temperature="NaN"), "temperature", "is a number"),
        (VitalsInput(spo2_percent=49), "spo2_percent", "from 50 to 100"),
        (VitalsInput(spo2_percent=101), "spo2_percent", "from 50 to 100"),
        (VitalsInput(weight_kg="0.2"), "weight_kg", "from 0.3 to 350 kg"),
        (VitalsInput(weight_kg="351"), "weight_kg", "from 0.3 to 350 kg"),
        (VitalsInput(height_cm="300"), "height_cm", "from 20 to 250 cm"),
        (VitalsInput(weight_kg="300", height_cm="50"), "weight_kg", "re-check the weight and the height"),
        (VitalsInput(), "vitals", "at least one reading"),
        (VitalsInput(temperature="", notes="patient refused"), "vitals", "at least one reading"),
        (VitalsInput(pulse_bpm=80, notes="n" * 501), "notes", "at most 500"),
    ],
)
def test_implausible_vitals_are_refused(day: ClinicalDay, data: VitalsInput, field: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message) as err:
        vitals.record_vitals(day.nurse_ctx, day.patient.id, data)
    assert err.value.field == field
    assert count(day.system, Vitals) == 0


def test_vitals_of_a_visit_must_be_the_patients(day: ClinicalDay) -> None:
    _, other, _ = checked_in(day, "Ravi Shankar", "9845000111")
    with pytest.raises(ValidationError) as err:
        vitals.record_vitals(day.nurse_ctx, day.patient.id, VitalsInput(pulse_bpm=80), appointment_id=other.id)
    assert err.value.field == "appointment_id"
    with pytest.raises(NotFound):
        vitals.record_vitals(day.nurse_ctx, other.id, VitalsInput(pulse_bpm=80))
    assert count(day.system, Vitals) == 0


def test_latest_and_history(day: ClinicalDay) -> None:
    assert vitals.latest_vitals(day.nurse_ctx, day.patient.id) is None
    at_visit = vitals.record_vitals(day.nurse_ctx, day.patient.id, VitalsInput(pulse_bpm=90),
                                    appointment_id=day.appointment.id)  # fmt: skip
    day.clock.advance(minutes=20)
    later = vitals.record_vitals(day.doctor_ctx, day.patient.id, VitalsInput(pulse_bpm=76))
    latest = vitals.latest_vitals(day.receptionist_ctx, day.patient.id)  # patients.view reads
    assert latest is not None and latest.id == later.id
    of_visit = vitals.latest_vitals(day.nurse_ctx, day.patient.id, day.appointment.id)
    assert of_visit is not None and of_visit.id == at_visit.id
    assert [v.pulse_bpm for v in vitals.vitals_history(day.nurse_ctx, day.patient.id)] == [76, 90]
    assert [v.pulse_bpm for v in vitals.vitals_history(day.nurse_ctx, day.patient.id, limit=1)] == [76]
    with pytest.raises(ValidationError) as err:
        vitals.vitals_history(day.nurse_ctx, day.patient.id, limit=0)
    assert err.value.field == "limit"


def test_correct_a_mistyped_set(day: ClinicalDay) -> None:
    v = vitals.record_vitals(day.nurse_ctx, day.patient.id, VitalsInput(systolic_mmhg=210, diastolic_mmhg=80))
    day.clock.advance(minutes=3)
    fixed = vitals.correct_vitals(day.nurse_ctx, v.id, VitalsInput(systolic_mmhg=120, diastolic_mmhg=80),
                                  "typed 210 for 120")  # fmt: skip
    assert fixed.id == v.id and fixed.blood_pressure == "120/80" and fixed.recorded_at == v.recorded_at
    assert count(day.system, Vitals) == 1
    with day.system.transaction(readonly=True) as tx:
        note = tx.session.scalars(select(AuditLog).where(AuditLog.action == "vitals_corrected")).one()
        change = tx.session.scalars(
            select(AuditLog).where(AuditLog.entity_type == "vitals", AuditLog.action == "update")
        ).one()
    assert note.detail == "typed 210 for 120" and note.patient_id == day.patient.id
    assert change.old_values == {"systolic_mmhg": 210} and change.new_values == {"systolic_mmhg": 120}
    with pytest.raises(ValidationError) as err:
        vitals.correct_vitals(day.nurse_ctx, v.id, VitalsInput(systolic_mmhg=130, diastolic_mmhg=80), "  ")
    assert err.value.field == "reason"
    with pytest.raises(ValidationError) as err:
        vitals.correct_vitals(day.nurse_ctx, v.id, VitalsInput(systolic_mmhg=400, diastolic_mmhg=20), "typo")
    assert err.value.field == "systolic_mmhg"
    assert vitals.latest_vitals(day.nurse_ctx, day.patient.id).blood_pressure == "120/80"  # type: ignore[union-attr]


def test_a_receptionist_cannot_record_vitals(day: ClinicalDay) -> None:
    with pytest.raises(PermissionDenied) as err:
        vitals.record_vitals(day.receptionist_ctx, day.patient.id, VitalsInput(pulse_bpm=80))
    assert err.value.code == "clinical.vitals" and count(day.system, Vitals) == 0


# --- allergies ----------------------------------------------------------------------------------------------------


def test_add_list_update_and_deactivate(day: ClinicalDay) -> None:
    a = allergies.add_allergy(
        day.nurse_ctx, day.patient.id, AllergyInput("Amoxicillin", "medicine", "Rash", "moderate")
    )
    assert a.is_active and a.noted_on == date(2026, 11, 30) and a.kind == "medicine" and a.severity == "moderate"
    p = allergies.add_allergy(day.doctor_ctx, day.patient.id, AllergyInput("Peanuts", "food", "Swelling", "severe"))
    assert [x.allergen for x in allergies.list_allergies(day.receptionist_ctx, day.patient.id)] == [
        "Amoxicillin", "Peanuts"]  # fmt: skip
    u = allergies.update_allergy(day.nurse_ctx, a.id, AllergyInput("Amoxicillin", "medicine", "Hives", "severe"))
    assert u.id == a.id and u.reaction == "Hives" and u.severity == "severe"
    gone = allergies.deactivate_allergy(day.nurse_ctx, p.id, "Tolerated peanuts in hospital")
    assert not gone.is_active
    assert allergies.deactivate_allergy(day.nurse_ctx, p.id, "again").is_active is False  # no change
    assert [x.allergen for x in allergies.list_allergies(day.nurse_ctx, day.patient.id)] == ["Amoxicillin"]
    everything = allergies.list_allergies(day.nurse_ctx, day.patient.id, include_inactive=True)
    assert [(x.allergen, x.is_active) for x in everything] == [("Amoxicillin", True), ("Peanuts", False)]
    with day.system.transaction(readonly=True) as tx:
        why = tx.session.scalars(select(AuditLog).where(AuditLog.action == "allergy_deactivated")).all()
    assert [w.detail for w in why] == ["Tolerated peanuts in hospital"]
    with pytest.raises(Conflict, match="deactivated"):
        allergies.update_allergy(day.nurse_ctx, p.id, AllergyInput("Peanuts", "food"))
    again = allergies.add_allergy(day.nurse_ctx, day.patient.id, AllergyInput("peanuts", "food"))  # back: a new row
    assert again.id != p.id and count(day.system, PatientAllergy) == 3


def test_one_active_allergy_per_allergen(day: ClinicalDay) -> None:
    allergies.add_allergy(day.nurse_ctx, day.patient.id, AllergyInput("Amoxicillin"))
    with pytest.raises(ValidationError, match="already recorded") as err:
        allergies.add_allergy(day.nurse_ctx, day.patient.id, AllergyInput("  AMOXICILLIN "))
    assert err.value.field == "allergen"
    other = allergies.add_allergy(day.nurse_ctx, day.patient.id, AllergyInput("Sulfa", "drug_class"))
    with pytest.raises(ValidationError, match="already recorded"):
        allergies.update_allergy(day.nurse_ctx, other.id, AllergyInput("amoxicillin"))
    assert count(day.system, PatientAllergy) == 2


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (AllergyInput("  "), "allergen"),
        (AllergyInput("x" * 121), "allergen"),
        (AllergyInput("Dust", "pollen"), "kind"),
        (AllergyInput("Dust", "other", severity="deadly"), "severity"),
        (AllergyInput("Aminoglycosides", "drug_class"), "allergen"),
        (AllergyInput("Latex", "other", noted_on=date(2026, 12, 1)), "noted_on"),
        (AllergyInput("Latex", "other", reaction="r" * 301), "reaction"),
    ],
)
def test_bad_allergies_are_refused(day: ClinicalDay, data: AllergyInput, field: str) -> None:
    with pytest.raises(ValidationError) as err:
        allergies.add_allergy(day.nurse_ctx, day.patient.id, data)
    assert err.value.field == field
    assert count(day.system, PatientAllergy) == 0


def test_allergies_need_clinical_vitals_to_write(day: ClinicalDay) -> None:
    with pytest.raises(PermissionDenied) as err:
        allergies.add_allergy(day.receptionist_ctx, day.patient.id, AllergyInput("Amoxicillin"))
    assert err.value.code == "clinical.vitals" and count(day.system, PatientAllergy) == 0


# --- the prescription's check ---------------------------------------------------------------------------------------


def allergy(allergen: str, kind: str = "medicine", *, active: bool = True, severity: str = "severe") -> AllergyView:
    return AllergyView(id=uuid.uuid4(), patient_id=uuid.uuid4(), allergen=allergen, kind=kind, reaction="",
                       severity=severity, noted_on=None, is_active=active)  # fmt: skip


@pytest.mark.parametrize(
    ("allergen", "kind", "generic", "brand", "ingredient"),
    [
        ("amoxicillin", "medicine", "Amoxicillin + Clavulanic acid", "Augmentin 625 Duo", "amoxicillin"),
        ("Clavulanic Acid", "medicine", "Amoxicillin + Clavulanic acid", "Augmentin 625 Duo", "clavulanic acid"),
        ("Augmentin", "medicine", "", "Augmentin 625 Duo", "augmentin"),
        ("Penicillins", "drug_class", "Amoxicillin 500 mg + Clavulanate potassium 125 mg", "Moxclav", "amoxicillin"),
        ("Penicillin", "medicine", "Cloxacillin sodium", "Klox", "cloxacillin"),  # said as a class: the class
        ("penicillins", "drug_class", "Benzathine penicillin", "Penidure", "benzathine penicillin"),
        ("Cephalosporins", "drug_class", "Cefixime", "Taxim-O", "cefixime"),
        ("Sulfa drugs", "drug_class", "Sulphamethoxazole + Trimethoprim", "Septran", "sulfamethoxazole"),
        ("NSAIDs", "drug_class", "Diclofenac sodium 50 mg", "Voveran", "diclofenac"),
        ("NSAID", "drug_class", "Aceclofenac + Paracetamol", "Zerodol-P", "aceclofenac"),
        ("NSAIDs", "drug_class", "Acetylsalicylic acid 75 mg", "Ecosprin", "acetylsalicylic acid"),
        ("Fluoroquinolones", "drug_class", "Ofloxacin + Ornidazole", "O2", "ofloxacin"),
        ("Macrolides", "drug_class", "Azithromycin", "Azee", "azithromycin"),
        ("Statins", "drug_class", "Atorvastatin calcium", "Atorva", "atorvastatin"),
    ],
)
def test_allergy_matches(allergen: str, kind: str, generic: str, brand: str, ingredient: str) -> None:
    a = allergy(allergen, kind)
    [m] = allergy_matches([a], generic, brand)
    assert m.allergy == a and m.ingredient == ingredient and allergen in m.reason and "severe" in m.reason


@pytest.mark.parametrize(
    ("allergen", "kind", "generic", "brand"),
    [
        ("Penicillins", "drug_class", "Paracetamol", "Dolo 650"),
        ("NSAIDs", "drug_class", "Paracetamol", "Crocin"),
        ("Statins", "drug_class", "Nystatin", "Mycostatin"),  # an antifungal, not a statin
        ("Sulfa drugs", "drug_class", "Glimepiride", "Amaryl"),  # not in the antibiotic class table
        ("Peanuts", "food", "Arachis oil", "Peanut oil drops"),  # food never matches a medicine
        ("Amoxicillin", "medicine", "Ampicillin", "Roscillin"),  # another penicillin: only the class says so
        ("Cillin", "other", "Amoxicillin", "Mox"),
    ],
)
def test_allergy_does_not_match(allergen: str, kind: str, generic: str, brand: str) -> None:
    assert allergy_matches([allergy(allergen, kind)], generic, brand) == []


def test_inactive_allergies_do_not_match_and_each_matches_once() -> None:
    live, old = allergy("Penicillins", "drug_class"), allergy("Amoxicillin", active=False)
    found = allergy_matches([live, old, allergy("NSAIDs", "drug_class", severity="unknown")],
                            "Amoxicillin + Cloxacillin", "Novaclox")  # fmt: skip
    assert [m.allergy for m in found] == [live]
    [m] = allergy_matches([allergy("NSAIDs", "drug_class", severity="unknown")], "Ibuprofen", "Brufen")
    assert "severity not known" in m.reason


def test_the_check_reads_the_patients_active_allergies(day: ClinicalDay) -> None:
    allergies.add_allergy(day.nurse_ctx, day.patient.id, AllergyInput("Penicillins", "drug_class", "Anaphylaxis",
                                                                       "severe"))  # fmt: skip
    old = allergies.add_allergy(day.nurse_ctx, day.patient.id, AllergyInput("Ibuprofen"))
    allergies.deactivate_allergy(day.nurse_ctx, old.id, "refuted")
    with day.system.transaction(readonly=True) as tx:
        active = allergies.active_allergies(tx, day.patient.id)
    assert [m.ingredient for m in allergy_matches(active, "Amoxicillin", "Mox 500")] == ["amoxicillin"]
    assert allergy_matches(active, "Ibuprofen", "Brufen") == []
