"""Deny by default: every service function declares its permission, and each default role gets exactly
what its permission set says (a denial raises PermissionDenied and writes only its own audit row)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import func, select

import hms_desktop.services
import hms_desktop.sync
from db.models.audit import AuditLog
from hms_desktop.context import Context
from hms_desktop.errors import PermissionDenied
from hms_desktop.security.permissions import CATALOGUE, DEFAULT_ROLES, SERVICE_REGISTRY
from tests.conftest import actor_with_role


def service_functions() -> list[tuple[str, Callable[..., Any]]]:
    found = []
    packages = [(hms_desktop.services, "hms_desktop.services"), (hms_desktop.sync, "hms_desktop.sync")]
    modules = [
        info.name
        for pkg, name in packages
        for info in pkgutil.walk_packages(pkg.__path__, prefix=name + ".")
        if not info.ispkg
    ] + ["hms_desktop.settings"]
    for module_name in modules:
        module = importlib.import_module(module_name)
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if fn.__module__ == module.__name__ and not name.startswith("_"):
                params = list(inspect.signature(fn).parameters.values())
                if params and params[0].name == "ctx":
                    found.append((f"{module.__name__}.{name}", fn))
    return found


def test_every_service_function_declares_a_permission_or_is_public() -> None:
    functions = service_functions()
    assert len(functions) > 20
    undeclared = [name for name, fn in functions if not hasattr(fn, "permission")]
    assert not undeclared, f"service functions with no @requires/@public: {undeclared}"
    for name, fn in functions:
        assert fn.permission is None or fn.permission in CATALOGUE, name
        assert name in SERVICE_REGISTRY


def gated() -> list[tuple[str, Callable[..., Any]]]:
    return [(name, fn) for name, fn in service_functions() if getattr(fn, "permission", None)]


def audit_rows(ctx: Context) -> list[tuple[str, str | None]]:
    with ctx.transaction(readonly=True) as tx:
        return [(r.action, r.entity_id) for r in tx.session.scalars(select(AuditLog).order_by(AuditLog.seq))]


@pytest.mark.parametrize("role", sorted(DEFAULT_ROLES))
def test_role_by_service_matrix(system_ctx: Context, role: str) -> None:
    ctx = replace(system_ctx, actor=actor_with_role(role))
    allowed_codes = DEFAULT_ROLES[role][1]
    checked = 0
    for name, fn in gated():
        before = audit_rows(ctx)
        try:
            fn(ctx)  # the gate runs before the arguments are looked at
        except PermissionDenied as exc:
            assert fn.permission not in allowed_codes, f"{role} was refused {name}"
            assert exc.code == fn.permission
            after = audit_rows(ctx)
            assert after[: len(before)] == before and after[len(before) :] == [("permission_denied", fn.permission)]
        except Exception:  # noqa: BLE001 - allowed through the gate, then the missing arguments fail
            assert fn.permission in allowed_codes, f"{role} was let into {name}"
            assert audit_rows(ctx) == before
        checked += 1
    assert checked == len(gated())


def test_denial_counts_match_the_catalogue(system_ctx: Context) -> None:
    ctx = replace(system_ctx, actor=actor_with_role("Lab Technician"))
    with ctx.transaction(readonly=True) as tx:
        start = tx.session.scalar(select(func.count()).select_from(AuditLog))
    denied = sum(1 for _, fn in gated() if fn.permission not in DEFAULT_ROLES["Lab Technician"][1])
    for _, fn in gated():
        try:
            fn(ctx)
        except Exception:  # noqa: BLE001, S110
            pass
    with ctx.transaction(readonly=True) as tx:
        end = tx.session.scalar(select(func.count()).select_from(AuditLog))
    assert end - start == denied > 0
