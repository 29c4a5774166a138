"""ICD-10 search as you type: by code (with or without the dot, any case), by words of the title, best first,
only codes a doctor records (no chapters or blocks); and the validation the diagnoses use."""

from __future__ import annotations

from dataclasses import replace

import pytest

from hms_desktop.context import Context
from hms_desktop.errors import PermissionDenied, ValidationError
from hms_desktop.services.clinical import icd10
from hms_desktop.services.clinical.icd10 import Icd10Entry, describe, search, search_icd10
from tests.conftest import actor_with_role


def codes(text: str, limit: int = 20) -> list[str]:
    return [e.code for e in search(text, limit)]


def test_by_code_prefix() -> None:
    assert codes("J06") == ["J06", "J06.0", "J06.8", "J06.9"]
    assert codes("j069")[0] == "J06.9"
    assert codes(" J06.9 ")[0] == "J06.9"
    assert codes("E11")[:2] == ["E11", "E11.0"]
    found = codes("A0", limit=50)
    assert found[:3] == ["A00", "A00.0", "A00.1"] and all(c.startswith("A0") for c in found)


def test_by_words_of_the_title() -> None:
    assert "J06.9" in codes("upper resp")
    assert "J06.9" in codes("Acute Upper RESPIRATORY infection")
    assert codes("type 2 diabetes")[0] == "E11"
    assert codes("fever")[0] == "R50.9"  # "Fever, unspecified": starts with the word, shortest
    assert codes("headache")[0] == "R51"
    assert codes("meniere") == ["H81.0"]  # accents aside: "Ménière disease"
    assert all("typhoid" in e.title.lower() for e in search("typhoid"))


def test_best_first_exact_code_then_prefix_then_words() -> None:
    assert codes("R50") == ["R50", "R50.2", "R50.8", "R50.9"]  # (the 2019 edition has no R50.0 or R50.1)
    mixed = codes("a00")
    assert mixed[0] == "A00" and mixed[1:4] == ["A00.0", "A00.1", "A00.9"]


def test_only_codes_a_doctor_records() -> None:
    every = [e for e in search("a", limit=100)] + [e for e in search("disease", limit=100)]
    assert every and all("-" not in e.code for e in every)  # no blocks ("A00-A09")
    assert codes("I") == codes("i")  # a chapter's number is not offered as a code
    assert "I" not in codes("I", limit=100)
    assert describe("A00-A09") is None and describe("I") is None and describe("XXII") is None


def test_limit_and_blank() -> None:
    assert len(search("infection")) == 20
    assert len(search("infection", limit=5)) == 5
    assert search("") == [] and search("   ") == []
    assert search("Z99.99X") == [] and search("qqqzzz") == []


def test_describe_validates() -> None:
    assert describe("j069") == Icd10Entry(code="J06.9", title="Acute upper respiratory infection, unspecified")
    assert describe("J06") == Icd10Entry(code="J06", title="Acute upper respiratory infections of multiple and "
                                                          "unspecified sites")  # fmt: skip
    assert describe("Z99.99X") is None and describe("") is None and describe(None) is None  # type: ignore[arg-type]


def test_the_index_is_built_once() -> None:
    first = icd10._index()
    search("fever")
    assert icd10._index() is first


def test_the_service_needs_patients_view(system_ctx: Context) -> None:
    doctor = replace(system_ctx, actor=actor_with_role("Doctor"))
    assert [e.code for e in search_icd10(doctor, "j06.9")] == ["J06.9"]
    with pytest.raises(ValidationError) as err:
        search_icd10(doctor, "fever", limit=0)
    assert err.value.field == "limit"
    with pytest.raises(ValidationError) as err:
        search_icd10(doctor, None)  # type: ignore[arg-type]
    assert err.value.field == "text"
    with pytest.raises(PermissionDenied) as denied:
        search_icd10(replace(system_ctx, actor=actor_with_role("Inventory Manager")), "fever")
    assert denied.value.code == "patients.view"
