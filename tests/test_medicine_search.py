"""Medicine search as the doctor types (brand or generic, prefix of the name or of any word, best first, active
only, at most 20) kept fresh by the change broadcast and against another process's writes; and the demo
catalogue (codes from the MEDICINES series, HSN 3004 at 5%, Schedule H flags, loaded once)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from db.models.pharmacy import Medicine
from hms_desktop.clinical_demo import DEMO_MEDICINES
from hms_desktop.context import Context
from hms_desktop.errors import PermissionDenied, ValidationError
from hms_desktop.runtime import context_for
from hms_desktop.services.clinical.medicine_search import load_demo_catalog, search_medicines
from hms_desktop.storage.store import open_store
from tests.clinical_fixtures import clinical_day
from tests.conftest import actor_with_role


@pytest.fixture
def ctx(system_ctx: Context) -> Context:
    load_demo_catalog(system_ctx)
    return system_ctx


def brands(ctx: Context, query: str, **kw: int) -> list[str]:
    return [h.brand for h in search_medicines(ctx, query, **kw)]


def test_the_demo_catalogue_is_loaded_once(system_ctx: Context) -> None:
    first = load_demo_catalog(system_ctx)
    assert (first.added, first.already_present) == (len(DEMO_MEDICINES), 0) and len(DEMO_MEDICINES) >= 60
    again = load_demo_catalog(system_ctx)
    assert (again.added, again.already_present) == (0, len(DEMO_MEDICINES))
    with system_ctx.transaction(readonly=True) as tx:
        rows = {m.name: m for m in tx.session.scalars(select(Medicine))}
    assert len(rows) == len(DEMO_MEDICINES)
    assert sorted(m.code for m in rows.values())[:2] == ["MED-00001", "MED-00002"]
    assert {(m.hsn_code, m.gst_rate_basis_points) for m in rows.values()} == {("3004", 500)}
    dolo, mox, aug = rows["Dolo 650"], rows["Mox 500"], rows["Augmentin 625 Duo"]
    assert (dolo.generic_name, dolo.strength, dolo.form, dolo.is_schedule_h) == ("Paracetamol", "650 mg", "tablet",
                                                                                 False)  # fmt: skip
    assert mox.is_schedule_h and aug.is_schedule_h and aug.generic_name == "Amoxicillin + Clavulanic acid"
    assert rows["Electral"].unit == "sachet" and not rows["Electral"].is_schedule_h
    assert rows["Pan 40"].generic_name == "Pantoprazole" and rows["Glycomet 500"].generic_name == "Metformin"


def test_brand_generic_and_word_prefixes_best_first(ctx: Context) -> None:
    assert brands(ctx, "dolo") == ["Dolo 650"]
    assert brands(ctx, "DOLO 6") == ["Dolo 650"]
    assert brands(ctx, "dolo 5") == []
    assert brands(ctx, "pan")[:2] == ["Pan 40", "Pan-D"]
    # the generic's first word ranks before a later ingredient of a combination
    para = brands(ctx, "paracetamol")
    assert set(para[:3]) == {"Dolo 650", "Crocin Advance", "Calpol 250 Suspension"}
    assert {"Combiflam", "Zerodol-SP", "Ultracet", "Cyclopam"} <= set(para[3:])
    assert brands(ctx, "clav") == ["Augmentin 625 Duo"]
    assert brands(ctx, "amox 625") == ["Augmentin 625 Duo"]
    assert brands(ctx, "amox") == ["Augmentin 625 Duo", "Mox 500"]  # both generics start with amoxicillin
    assert brands(ctx, "montelukast levo") == ["Montair LC"]
    hit = search_medicines(ctx, "azithral")[0]
    shown = (hit.generic_name, hit.strength, hit.form, hit.is_schedule_h, hit.code[:4])
    assert shown == ("Azithromycin", "500 mg", "tablet", True, "MED-")


def test_at_most_the_limit_and_bad_queries(ctx: Context) -> None:
    with ctx.transaction() as tx:
        for n in range(1, 31):
            tx.session.add(Medicine(code=f"MED-9{n:04d}", name=f"Zincovit {n}", generic_name="Zinc + Multivitamin",
                                    form="tablet", unit="strip", gst_rate_basis_points=500))  # fmt: skip
        tx.commit()
    found = brands(ctx, "zinc")
    assert len(found) == 20 and found[:3] == ["Zincovit 1", "Zincovit 10", "Zincovit 11"]
    assert len(search_medicines(ctx, "zinc", limit=5)) == 5
    for query in ("", "   ", "+-/"):
        with pytest.raises(ValidationError) as err:
            search_medicines(ctx, query)
        assert err.value.field == "query"
    with pytest.raises(ValidationError) as err:
        search_medicines(ctx, "a", limit=0)
    assert err.value.field == "limit"


def test_inactive_and_changed_medicines(ctx: Context) -> None:
    assert brands(ctx, "okacet") == ["Okacet"]
    with ctx.transaction() as tx:
        okacet = tx.session.scalars(select(Medicine).where(Medicine.name == "Okacet")).one()
        okacet.is_active = False
        dolo = tx.session.scalars(select(Medicine).where(Medicine.name == "Dolo 650")).one()
        dolo.name = "Dolo-650 Forte"
        tx.commit()
    assert brands(ctx, "okacet") == []
    assert brands(ctx, "dolo") == ["Dolo-650 Forte"] and brands(ctx, "forte") == ["Dolo-650 Forte"]
    with ctx.transaction() as tx:
        tx.session.add(Medicine(code="MED-90001", name="Sinarest", generic_name="Paracetamol + Phenylephrine",
                                form="tablet", unit="strip", gst_rate_basis_points=500))  # fmt: skip
        tx.commit()
    assert brands(ctx, "sinar") == ["Sinarest"] and "Sinarest" in brands(ctx, "phenyl")


def test_another_processs_writes_are_seen(ctx: Context, clinic_paths) -> None:  # type: ignore[no-untyped-def]
    assert brands(ctx, "metrogyl") == ["Metrogyl 400"]
    other_store = open_store(clinic_paths)  # a second connection pool: its commits are not announced here
    try:
        other = context_for(other_store, ctx.actor)
        with other.transaction() as tx:
            tx.session.add(Medicine(code="MED-90002", name="Flagyl 400", generic_name="Metronidazole", form="tablet",
                                    unit="strip", gst_rate_basis_points=500))  # fmt: skip
            tx.session.scalars(select(Medicine).where(Medicine.name == "Metrogyl 400")).one().is_active = False
            tx.commit()
    finally:
        other_store.close()
    assert brands(ctx, "metro") == ["Flagyl 400"]  # the new row is loaded, the deactivated one is dropped
    with ctx.transaction(readonly=True) as tx:
        assert tx.session.scalar(select(func.count()).select_from(Medicine)) == len(DEMO_MEDICINES) + 1


def test_who_may_search_and_load(system_ctx: Context, make_user) -> None:  # type: ignore[no-untyped-def]
    day = clinical_day(system_ctx, make_user)
    load_demo_catalog(day.system)
    assert brands(day.doctor_ctx, "dolo") == ["Dolo 650"] and brands(day.nurse_ctx, "dolo") == ["Dolo 650"]
    with pytest.raises(PermissionDenied):
        search_medicines(day.receptionist_ctx, "dolo")
    with pytest.raises(PermissionDenied):
        load_demo_catalog(day.doctor_ctx)
    pharmacist = day.system.as_actor(actor_with_role("Pharmacist"))
    assert load_demo_catalog(pharmacist).added == 0
