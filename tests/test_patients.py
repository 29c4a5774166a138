"""Registration, duplicates, Aadhaar masking, patient codes, search and ID cards (Phase 1)."""

from __future__ import annotations

import io
import json
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
import zxingcpp
from sqlalchemy import func, select, text

from db.models.audit import AuditLog
from db.models.hospital import IdSequence
from db.models.patients import IdCard, Patient
from hms_desktop.clock import FixedClock
from hms_desktop.context import Context
from hms_desktop.errors import NotFound, ValidationError
from hms_desktop.printing.render import pdf_to_images
from hms_desktop.services.reception.id_cards import print_id_card
from hms_desktop.services.reception.patient_search import open_by_code, search_patients
from hms_desktop.services.reception.patients import (
    PatientInput,
    PossibleDuplicates,
    archive_patient,
    find_duplicates,
    register_patient,
    update_patient,
)
from hms_desktop.validation import verhoeff_valid

NOW = datetime(2026, 11, 28, 4, 30, tzinfo=UTC)  # 10:00 in Bengaluru


@pytest.fixture
def ctx(system_ctx: Context) -> Context:
    return replace(system_ctx, clock=FixedClock(NOW))


def aadhaar() -> str:
    return next(f"48573920615{d}" for d in range(10) if verhoeff_valid(f"48573920615{d}"))


def ravi(**kw: object) -> PatientInput:
    base = PatientInput("Ravi Kumar", "M", date(1988, 4, 12), phone="98450 12345", blood_group="B+", city="Bengaluru",
                        state_code="29", pincode="560001")  # fmt: skip
    return replace(base, **kw)  # type: ignore[arg-type]


def counts(ctx: Context) -> tuple[int, int]:
    with ctx.transaction(readonly=True) as tx:
        patients = tx.session.scalar(select(func.count()).select_from(Patient)) or 0
        seq = tx.session.scalar(select(func.coalesce(func.sum(IdSequence.next_value), 0))) or 0
        return int(patients), int(seq)


def test_register_issues_the_first_code_of_the_year(ctx: Context) -> None:
    p = register_patient(ctx, ravi())
    assert p.code == "PAT-2026-00001" and p.phone == "9845012345" and p.age == 38
    assert register_patient(ctx, ravi(full_name="Sita Devi", phone="9900011122", gender="F")).code == "PAT-2026-00002"


def test_codes_reset_with_the_year(ctx: Context) -> None:
    register_patient(ctx, ravi())
    assert isinstance(ctx.clock, FixedClock)
    ctx.clock.set(datetime(2026, 12, 31, 19, 0, tzinfo=UTC))  # 1 January 2027, 00:30 in India
    assert register_patient(ctx, ravi(full_name="New Year Baby", phone="9000000001")).code == "PAT-2027-00001"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"full_name": "   "}, "full_name"),
        ({"full_name": "12345"}, "full_name"),
        ({"date_of_birth": date(2026, 11, 29)}, "date_of_birth"),
        ({"date_of_birth": date(1890, 1, 1)}, "date_of_birth"),
        ({"date_of_birth": None, "age_years": 131}, "age_years"),
        ({"phone": "12345"}, "phone"),
        ({"phone": "5845012345"}, "phone"),
        ({"alternate_phone": "98450"}, "alternate_phone"),
        ({"email": "ravi@"}, "email"),
        ({"gender": "X"}, "gender"),
        ({"blood_group": "C+"}, "blood_group"),
        ({"pincode": "56001"}, "pincode"),
        ({"state_code": "55"}, "state_code"),
        ({"id_type": "aadhaar", "id_number": "123456789012"}, "id_number"),
        ({"id_type": "aadhaar", "id_number": ""}, "id_number"),
        ({"priority_group": "vip"}, "priority_group"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(ctx: Context, change: dict[str, object], field: str) -> None:
    before = counts(ctx)
    with pytest.raises(ValidationError) as err:
        register_patient(ctx, ravi(**change))
    assert err.value.field == field
    assert counts(ctx) == before


def test_age_gives_an_approximate_date_of_birth(ctx: Context) -> None:
    p = register_patient(ctx, ravi(date_of_birth=None, age_years=45))
    assert p.dob_is_approximate and p.age == 45 and p.date_of_birth == date(1981, 11, 28)


def test_aadhaar_is_never_stored_whole(ctx: Context, store) -> None:  # type: ignore[no-untyped-def]
    number = aadhaar()
    spaced = f"{number[:4]} {number[4:8]} {number[8:]}"
    p = register_patient(ctx, ravi(id_type="aadhaar", id_number=spaced, notes=f"Aadhaar {spaced} seen"))
    assert p.id_number_masked == f"XXXX XXXX {number[-4:]}"
    assert number not in p.notes and spaced not in p.notes
    with ctx.transaction(readonly=True) as tx:
        rows = tx.session.execute(text("SELECT * FROM patients")).all()
        trail = tx.session.execute(text("SELECT old_values, new_values FROM audit_logs")).all()
    dump = json.dumps([list(map(str, r)) for r in rows + trail])
    assert number not in dump and spaced not in dump and number[-4:] in dump


def test_possible_duplicates_are_shown_and_may_be_saved_anyway(ctx: Context) -> None:
    first = register_patient(ctx, ravi())
    candidates = find_duplicates(ctx, ravi(full_name="Ravi  Kumar S"))
    assert [c.code for c in candidates] == [first.code]
    before = counts(ctx)
    with pytest.raises(PossibleDuplicates) as err:
        register_patient(ctx, ravi(full_name="Ravi Kumaar"))  # a typo, same phone
    assert err.value.candidates[0].reason == "same phone, similar name"
    assert counts(ctx) == before  # double-clicking Save cannot register twice either
    with pytest.raises(PossibleDuplicates) as err:
        register_patient(ctx, ravi(phone="9111122223"))  # same name and date of birth, new phone
    assert err.value.candidates[0].reason == "same name and date of birth"
    second = register_patient(ctx, ravi(full_name="Ravi Kumaar"), allow_duplicates=True)
    assert second.code != first.code
    assert not find_duplicates(ctx, ravi(full_name="Meena Iyer", phone="9000012345", date_of_birth=date(1990, 1, 1)))


def test_search_by_code_phone_and_name_prefix(ctx: Context) -> None:
    names = ["Ravi Kumar", "Ravindra Jadeja", "Kumari Selja", "Anita Rao", "Ravi Shankar Prasad"]
    made = [
        register_patient(ctx, ravi(full_name=n, phone=f"98450{i:05d}"), allow_duplicates=True)
        for i, n in enumerate(names)
    ]
    assert [p.full_name for p in search_patients(ctx, "ravi").items] == [
        "Ravi Shankar Prasad",
        "Ravindra Jadeja",
        "Ravi Kumar",
    ]
    assert {p.full_name for p in search_patients(ctx, "ku").items} == {"Ravi Kumar", "Kumari Selja"}
    assert [p.full_name for p in search_patients(ctx, "ra ku").items] == ["Ravi Kumar"]
    assert [p.full_name for p in search_patients(ctx, "RAVI sh").items] == ["Ravi Shankar Prasad"]
    assert [p.code for p in search_patients(ctx, made[3].code.lower()).items] == [made[3].code]
    assert search_patients(ctx, "PAT-2026-0000").total == 5
    assert [p.full_name for p in search_patients(ctx, "+91 98450 00001").items] == ["Ravindra Jadeja"]
    assert search_patients(ctx, "98450").total == 5
    page = search_patients(ctx, "ra", page=2, page_size=2)
    assert page.total == 4 and len(page.items) == 2 and page.pages == 2
    with pytest.raises(ValidationError):
        search_patients(ctx, "  ")


def test_the_name_index_follows_edits_and_archiving(ctx: Context) -> None:
    p = register_patient(ctx, ravi(full_name="Lakshmi Narayan"))
    update_patient(ctx, p.id, ravi(full_name="Lakshmi Venkatesh"))
    assert search_patients(ctx, "narayan").total == 0
    assert [x.id for x in search_patients(ctx, "venka").items] == [p.id]
    archive_patient(ctx, p.id, "registered twice")
    assert search_patients(ctx, "venka").items == []


def test_a_scanned_code_opens_the_patient_and_is_audited(ctx: Context) -> None:
    p = register_patient(ctx, ravi())
    opened = open_by_code(ctx, f"  {p.code.lower()} ")
    assert opened.id == p.id
    with ctx.transaction(readonly=True) as tx:
        row = tx.session.scalars(select(AuditLog).where(AuditLog.action == "view")).one()
    assert row.patient_id == p.id
    with pytest.raises(NotFound):
        open_by_code(ctx, "PAT-2026-99999")


def test_id_card_pdf_decodes_back_to_the_patient_code(ctx: Context) -> None:
    p = register_patient(ctx, ravi())
    card = print_id_card(ctx, p.id)
    assert card.card_number == f"{p.code}-1"
    image = pdf_to_images(card.pdf, dpi=300)[0]
    found = {r.format.name: r.text for r in zxingcpp.read_barcodes(image)}
    assert found.get("Code128") == p.code and found.get("QRCode") == p.code
    again = print_id_card(ctx, p.id)
    assert again.card_number == card.card_number and again.print_count == 2
    replaced = print_id_card(ctx, p.id, replace_lost=True)
    assert replaced.card_number == f"{p.code}-2"
    with ctx.transaction(readonly=True) as tx:
        statuses = sorted(tx.session.scalars(select(IdCard.status)))
        prints = tx.session.scalar(select(func.count()).where(AuditLog.action == "print"))
    assert statuses == ["active", "replaced"] and prints == 3
    assert io.BytesIO(card.pdf).read(5) == b"%PDF-"
