"""The clinic's record, settings, logo, SMTP password and departments, over a real encrypted store."""

from __future__ import annotations

import io
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import select, text

from db.base import Base
from db.ids import uuid7
from db.models.audit import AuditLog
from db.models.hospital import HospitalSetting
from hms_desktop import settings as shared_settings
from hms_desktop.context import Actor, Context
from hms_desktop.errors import Conflict, NotFound, PermissionDenied, ValidationError
from hms_desktop.security.permissions import DEFAULT_ROLES
from hms_desktop.services.admin import departments as dept
from hms_desktop.services.admin import hospital as hosp
from hms_desktop.services.admin.setup import HospitalInput
from hms_desktop.settings_defaults import DEFAULT_SETTINGS
from hms_desktop.storage.store import Store

TABLES = ("audit_logs", "hospitals", "hospital_settings", "departments", "tax_configurations")
SMTP_SECRET = "Zq9!mail-Secret-7731"


def counts(store: Store) -> dict[str, int]:
    with store.engine.connect() as conn:
        return {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in TABLES}


def contents(store: Store) -> list[Any]:
    with store.engine.connect() as conn:
        return [conn.execute(text(f"SELECT * FROM {t} ORDER BY id")).all() for t in TABLES[1:]]


@contextmanager
def nothing_written(store: Store) -> Iterator[None]:
    before, rows = counts(store), contents(store)
    yield
    assert counts(store) == before
    assert contents(store) == rows


def as_role(ctx: Context, role: str) -> Context:
    perms = frozenset(DEFAULT_ROLES[role][1])
    return ctx.as_actor(Actor(uuid7(), f"{role.lower().replace(' ', '.')}@sunrise.example.in", (role,), perms))


def image_bytes(fmt: str, size: tuple[int, int] = (120, 40)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buf, fmt)
    return buf.getvalue()


# --- hospital record


def test_get_and_update_hospital(system_ctx: Context, store: Store) -> None:
    view = hosp.get_hospital(system_ctx)
    assert view.name == "Sunrise Clinic" and view.state_code == "29" and view.gstin == "29AAACR5055K1Z3"
    before = counts(store)
    changed = hosp.update_hospital(system_ctx, replace(view, phone="080 2345 6789", email="Desk@Sunrise.Example.IN"))
    assert changed.id == view.id and changed.email == "desk@sunrise.example.in"
    assert hosp.get_hospital(system_ctx) == changed
    assert counts(store)["audit_logs"] == before["audit_logs"] + 1  # the row change, audited automatically


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": "  "}, "name"),
        ({"gstin": "29AAACR5055K1Z4"}, "gstin"),  # wrong check digit
        ({"gstin": "27AAPFU0939F1ZV", "state_code": "29"}, "gstin"),  # another state's GSTIN
        ({"state_code": "99"}, "state_code"),
        ({"pincode": "012345"}, "pincode"),
        ({"email": "desk@"}, "email"),
        ({"phone": "12345"}, "phone"),
    ],
)
def test_update_hospital_bad_input(system_ctx: Context, store: Store, changes: dict[str, Any], field: str) -> None:
    current = HospitalInput(name="Sunrise Clinic", state_code="29", gstin="29AAACR5055K1Z3")
    with nothing_written(store), pytest.raises(ValidationError) as err:
        hosp.update_hospital(system_ctx, replace(current, **changes))
    assert err.value.field == field


# --- settings


def test_every_default_setting_passes_its_rule() -> None:
    assert set(hosp.SETTING_VALIDATORS) == set(DEFAULT_SETTINGS)
    assert hosp.clean_settings(DEFAULT_SETTINGS) == DEFAULT_SETTINGS


def test_get_settings_are_the_defaults_after_setup(system_ctx: Context) -> None:
    assert hosp.get_settings(system_ctx) == DEFAULT_SETTINGS


def test_update_settings_normalises_stores_and_audits(system_ctx: Context, store: Store) -> None:
    before = counts(store)
    result = hosp.update_settings(
        system_ctx,
        {
            "timezone": " Asia/Dubai ",
            "currency": "inr",
            "fiscal_year_start_month": "1",
            "idle_lock_minutes": 240,
            "invoice_prefix": "bill",
            "patient_code_padding": 9,
            "patient_code_reset": "Financial_Year",
            "senior_citizen_age": 65,
            "queue_priority_groups": ["pregnant", "child", "pregnant"],
            "smtp_host": "SMTP.Example.IN",
            "smtp_port": 465,
            "smtp_tls": "SSL",
            "smtp_user": " mailer ",
            "smtp_from": "Desk@Sunrise.Example.IN",
        },
    )
    expected = {
        **DEFAULT_SETTINGS,
        "timezone": "Asia/Dubai",
        "fiscal_year_start_month": 1,
        "idle_lock_minutes": 240,
        "invoice_prefix": "BILL",
        "patient_code_padding": 9,
        "patient_code_reset": "financial_year",
        "senior_citizen_age": 65,
        "queue_priority_groups": ["pregnant", "child"],
        "smtp_host": "smtp.example.in",
        "smtp_port": 465,
        "smtp_tls": "ssl",
        "smtp_user": "mailer",
        "smtp_from": "desk@sunrise.example.in",
    }
    assert result == expected
    assert hosp.get_settings(system_ctx) == expected
    after = counts(store)
    assert after["hospital_settings"] == before["hospital_settings"]  # existing rows updated, none added
    assert after["audit_logs"] == before["audit_logs"] + 13  # currency was already INR: no change, no row


@pytest.mark.parametrize(
    ("key", "value"),
    [("smtp_host", ""), ("smtp_host", "192.168.1.10"), ("smtp_host", "localhost"), ("queue_priority_groups", [])],
)
def test_update_settings_edge_values_accepted(system_ctx: Context, key: str, value: Any) -> None:
    assert hosp.update_settings(system_ctx, {key: value})[key] == value


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("timezone", "Mars/Olympus_Mons"),
        ("timezone", "localtime"),
        ("timezone", ""),
        ("timezone", 530),
        ("currency", "USD"),
        ("fiscal_year_start_month", 0),
        ("fiscal_year_start_month", 13),
        ("fiscal_year_start_month", True),
        ("fiscal_year_start_month", 4.0),
        ("idle_lock_minutes", 0),
        ("idle_lock_minutes", 241),
        ("invoice_prefix", "I"),
        ("invoice_prefix", "INVOICE"),
        ("patient_prefix", "P4T"),
        ("appointment_prefix", "AP-"),
        ("patient_prefix", "ÄBC"),
        ("patient_code_padding", 2),
        ("patient_code_padding", 10),
        ("patient_code_reset", "monthly"),
        ("senior_citizen_age", 49),
        ("senior_citizen_age", 91),
        ("queue_priority_groups", ["senior_citizen", "vip"]),
        ("queue_priority_groups", "senior_citizen"),
        ("smtp_host", "smtp gmail.com"),
        ("smtp_host", "-bad.example.com"),
        ("smtp_host", "999.1.1.1"),
        ("smtp_host", "a" * 64 + ".com"),
        ("smtp_host", None),
        ("smtp_port", 0),
        ("smtp_port", 65536),
        ("smtp_port", "25a"),
        ("smtp_tls", "tls"),
        ("smtp_user", "mail\nuser"),
        ("smtp_user", "u" * 255),
        ("smtp_from", "not-an-email"),
        ("smtp_from", None),
        ("colour", "blue"),  # unknown key
        ("smtp_password", "hunter2"),  # secrets never go through settings
        ("logo", b"\x89PNG"),
    ],
)
def test_update_settings_bad_value(system_ctx: Context, store: Store, key: str, value: Any) -> None:
    with nothing_written(store), pytest.raises(ValidationError) as err:
        hosp.update_settings(system_ctx, {"idle_lock_minutes": 30, key: value})  # the good change is not kept
    assert err.value.field == key
    assert "hunter2" not in err.value.message


def test_receptionist_cannot_change_settings(system_ctx: Context, store: Store) -> None:
    before = counts(store)
    with pytest.raises(PermissionDenied):
        hosp.update_settings(as_role(system_ctx, "Receptionist"), {"idle_lock_minutes": 30})
    after = counts(store)
    assert after == {**before, "audit_logs": before["audit_logs"] + 1}
    with store.engine.connect() as conn:
        row = conn.execute(select(AuditLog).order_by(AuditLog.occurred_at.desc(), AuditLog.seq.desc())).first()
    assert row is not None and row.action == "permission_denied" and row.outcome == "denied"
    assert row.entity_id == "settings.manage"
    assert hosp.get_settings(system_ctx)["idle_lock_minutes"] == DEFAULT_SETTINGS["idle_lock_minutes"]


@pytest.mark.parametrize(
    "call",
    [
        lambda c: hosp.update_hospital(c, HospitalInput(name="Other")),
        lambda c: hosp.set_logo(c, image_bytes("PNG")),
        lambda c: hosp.set_smtp_password(c, SMTP_SECRET),
        shared_settings.smtp_settings,
        lambda c: dept.create_department(c, "OPD", "Outpatients"),
    ],
)
def test_receptionist_is_refused_the_admin_actions(system_ctx: Context, store: Store, call: Any) -> None:
    before = counts(store)
    with pytest.raises(PermissionDenied):
        call(as_role(system_ctx, "Receptionist"))
    assert counts(store) == {**before, "audit_logs": before["audit_logs"] + 1}
    assert system_ctx.keys is not None and system_ctx.keys.get("smtp-password") is None


# --- logo


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_logo_round_trip(system_ctx: Context, store: Store, fmt: str) -> None:
    assert hosp.get_logo(system_ctx) is None
    data = image_bytes(fmt)
    hosp.set_logo(system_ctx, data)
    assert hosp.get_logo(system_ctx) == data
    rows = counts(store)["hospital_settings"]
    hosp.set_logo(system_ctx, image_bytes("PNG", (2000, 2000)))  # the largest allowed replaces it
    assert counts(store)["hospital_settings"] == rows
    assert "logo" not in hosp.get_settings(system_ctx)
    with store.engine.connect() as conn:
        row = conn.execute(select(HospitalSetting).where(HospitalSetting.key == "logo")).one()
        audit = conn.execute(select(AuditLog.new_values).where(AuditLog.entity_id == str(row.id))).scalars().all()
    assert row.value["mime"] == "image/png" and row.value["width"] == 2000
    assert audit[0]["blob"] == f"<{len(data)} bytes>"  # the trail notes the size, never the image


def _pdf_renamed_png(tmp_path: Path) -> bytes:
    path = tmp_path / "logo.png"
    path.write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
    return path.read_bytes()


def _noise_png() -> bytes:  # incompressible: well over 1 MiB while within 2000 x 2000 pixels
    buf = io.BytesIO()
    Image.frombytes("RGB", (640, 640), os.urandom(640 * 640 * 3)).save(buf, "PNG")
    assert len(buf.getvalue()) > hosp.LOGO_MAX_BYTES
    return buf.getvalue()


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (_pdf_renamed_png, "not a PNG or JPEG"),
        (lambda _: image_bytes("GIF"), "not a PNG or JPEG"),
        (lambda _: image_bytes("BMP"), "not a PNG or JPEG"),
        (lambda _: image_bytes("PNG")[:60], "not a PNG or JPEG"),  # truncated
        (lambda _: image_bytes("JPEG")[:300], "not a PNG or JPEG"),
        (lambda _: image_bytes("PNG", (2001, 10)), "2000 x 2000"),
        (lambda _: image_bytes("JPEG", (10, 2001)), "2000 x 2000"),
        (lambda _: _noise_png(), "1 MB"),
        (lambda _: b"", "Choose"),
        (lambda _: "logo.png", "Choose"),
    ],
)
def test_bad_logo_refused(system_ctx: Context, store: Store, tmp_path: Path, make: Any, message: str) -> None:
    data = make(tmp_path)
    with nothing_written(store), pytest.raises(ValidationError, match=message) as err:
        hosp.set_logo(system_ctx, data)
    assert err.value.field == "logo"
    assert hosp.get_logo(system_ctx) is None


# --- SMTP password


def _everything_in_store(store: Store) -> list[str]:
    with store.engine.connect() as conn:
        return [repr(tuple(row)) for table in Base.metadata.sorted_tables for row in conn.execute(select(table))]


def test_smtp_password_lives_in_the_key_store_only(system_ctx: Context, store: Store) -> None:
    hosp.update_settings(system_ctx, {"smtp_host": "smtp.example.in", "smtp_user": "desk", "smtp_from": "desk@x.in"})
    hosp.set_smtp_password(system_ctx, SMTP_SECRET)
    assert system_ctx.keys is not None and system_ctx.keys.get("smtp-password") == SMTP_SECRET.encode()
    config = shared_settings.smtp_settings(system_ctx)  # the system actor runs the mail worker
    assert (config.host, config.port, config.tls, config.user, config.from_addr, config.password) == (
        "smtp.example.in",
        587,
        "starttls",
        "desk",
        "desk@x.in",
        SMTP_SECRET,
    )
    assert SMTP_SECRET not in repr(config)
    with store.engine.connect() as conn:
        audit = conn.execute(select(AuditLog.entity_id, AuditLog.old_values, AuditLog.new_values)).all()
        settings = conn.execute(select(HospitalSetting.value, HospitalSetting.blob)).all()
    assert ("smtp_password", None, {"smtp_password": "[set]"}) in audit
    assert not any(SMTP_SECRET in repr(values) for values in audit)
    assert not any(SMTP_SECRET in repr(v) or SMTP_SECRET.encode() in (b or b"") for v, b in settings)
    assert not any(SMTP_SECRET in row for row in _everything_in_store(store))


@pytest.mark.parametrize("password", ["", "line\nbreak", "x" * 257, None])
def test_bad_smtp_password_refused(system_ctx: Context, store: Store, password: Any) -> None:
    with nothing_written(store), pytest.raises(ValidationError) as err:
        hosp.set_smtp_password(system_ctx, password)
    assert err.value.field == "password"
    assert system_ctx.keys is not None and system_ctx.keys.get("smtp-password") is None


def test_smtp_password_needs_an_open_key_store(system_ctx: Context, store: Store) -> None:
    with nothing_written(store), pytest.raises(Conflict):
        hosp.set_smtp_password(replace(system_ctx, keys=None), SMTP_SECRET)
    assert shared_settings.smtp_settings(replace(system_ctx, keys=None)).password is None


# --- departments


def test_department_lifecycle(system_ctx: Context, store: Store) -> None:
    opd = dept.create_department(system_ctx, " opd ", "  Out   Patients ", "Walk-in consultations")
    assert (opd.code, opd.name, opd.is_active) == ("OPD", "Out Patients", True)
    ent = dept.create_department(system_ctx, "ENT2", "ENT")
    assert [d.code for d in dept.list_departments(system_ctx)] == ["ENT2", "OPD"]
    renamed = dept.update_department(system_ctx, opd.id, name="Outpatients", description="")
    assert (renamed.code, renamed.name, renamed.description) == ("OPD", "Outpatients", "")
    gone = dept.deactivate_department(system_ctx, ent.id)
    assert not gone.is_active
    assert [d.code for d in dept.list_departments(system_ctx)] == ["OPD"]
    assert [d.code for d in dept.list_departments(system_ctx, include_inactive=True)] == ["ENT2", "OPD"]
    before = counts(store)
    assert dept.deactivate_department(system_ctx, ent.id) == gone  # already inactive: nothing written
    assert counts(store) == before
    assert dept.update_department(system_ctx, ent.id, is_active=True).is_active


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        ({"code": "O"}, "code", "2 to 16"),
        ({"code": "A" * 17}, "code", "2 to 16"),
        ({"code": "OP-D"}, "code", "2 to 16"),
        ({"code": "ÖPD"}, "code", "2 to 16"),
        ({"code": ""}, "code", "2 to 16"),
        ({"code": "opd"}, "code", "already used by Outpatients"),
        ({"code": "EYE", "name": "outPATIENTS"}, "name", "A department named Outpatients already exists"),
        ({"code": "OLD"}, "code", r"already used by Old Wing \(inactive\)"),
        ({"code": "EYE", "name": "old wing"}, "name", r"Old Wing \(inactive\) already exists"),
        ({"code": "EYE", "name": "   "}, "name", "required"),
        ({"code": "EYE", "name": "N" * 121}, "name", "at most 120"),
        ({"code": "EYE", "name": "Eye", "description": "d" * 501}, "description", "at most 500"),
    ],
)
def test_create_department_bad_input(
    system_ctx: Context, store: Store, kwargs: dict[str, Any], field: str, message: str
) -> None:
    dept.create_department(system_ctx, "OPD", "Outpatients")
    old = dept.create_department(system_ctx, "OLD", "Old Wing")
    dept.deactivate_department(system_ctx, old.id)
    args = {"name": "Eye", **kwargs}
    with nothing_written(store), pytest.raises(ValidationError, match=message) as err:
        dept.create_department(system_ctx, **args)
    assert err.value.field == field


def test_update_department_bad_input(system_ctx: Context, store: Store) -> None:
    opd = dept.create_department(system_ctx, "OPD", "Outpatients")
    dept.create_department(system_ctx, "ENT", "ENT")
    for kwargs, field in [({"code": "ENT"}, "code"), ({"name": "ent"}, "name"), ({"code": "X"}, "code")]:
        with nothing_written(store), pytest.raises(ValidationError) as err:
            dept.update_department(system_ctx, opd.id, **kwargs)
        assert err.value.field == field
    with nothing_written(store), pytest.raises(NotFound):
        dept.update_department(system_ctx, uuid.uuid4(), name="Nowhere")
    with nothing_written(store), pytest.raises(NotFound):
        dept.deactivate_department(system_ctx, uuid.uuid4())


def test_departments_are_readable_by_settings_viewers_only(system_ctx: Context) -> None:
    dept.create_department(system_ctx, "OPD", "Outpatients")
    assert [d.code for d in dept.list_departments(as_role(system_ctx, "Admin"))] == ["OPD"]
    with pytest.raises(PermissionDenied):
        dept.list_departments(as_role(system_ctx, "Doctor"))


def test_clinic_settings_inside_another_services_transaction(system_ctx: Context) -> None:
    hosp.update_settings(system_ctx, {"patient_prefix": "SUN"})
    with system_ctx.transaction(readonly=True) as tx:
        settings = shared_settings.clinic_settings(tx.session)
    assert settings == hosp.get_settings(system_ctx) and settings["patient_prefix"] == "SUN"
