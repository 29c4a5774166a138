"""The Inventory dock's tabs over a real store (tests/pharmacy_fixtures.py: Monday 30 November 2026): a stocked
shelf, and a tab built for a signed-in user as the dock builds it (``Cls(session)``), shown at the size of a
1366x768 screen."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from db.models.pharmacy import Medicine, MedicineBatch
from hms_desktop.context import Context
from hms_desktop.storage.store import Store
from tests.pharmacy_fixtures import PharmacyDay, stocked
from tests.ui_support import signed_in_window

PASSWORD = "Marigold-Ledger-2026"  # make_user's default
IMRAN, ASHA, FARIDA = "imran@sunrise.example.in", "asha@sunrise.example.in", "farida@sunrise.example.in"
WAIT = 5000


@dataclass(frozen=True)
class Shelf:
    dl1: uuid.UUID  # Dolo 650 DL-1: 40 tablets, expires 30 Sep 2027, Rack A
    dl2: uuid.UUID  # Dolo 650 DL-2: 25 tablets, expires 31 Jan 2027 (within 3 months), Rack A
    pn1: uuid.UUID  # Pan 40 PN-1: 60 tablets, expires 31 Mar 2028, Rack B


def shelve(ctx: Context, batch_id: uuid.UUID, location: str) -> None:
    with ctx.transaction() as tx:
        row = tx.session.get(MedicineBatch, batch_id)
        assert row is not None
        row.location = location
        tx.commit()


def set_reorder(ctx: Context, medicine_id: uuid.UUID, level: int) -> None:
    with ctx.transaction() as tx:
        row = tx.session.get(Medicine, medicine_id)
        assert row is not None
        row.reorder_level = level
        tx.commit()


def shelf(pd: PharmacyDay) -> Shelf:
    dolo, pan = pd.medicines["Dolo 650"], pd.medicines["Pan 40"]
    made = Shelf(
        dl1=stocked(pd.system, dolo, "DL-1", date(2027, 9, 30), 40, mrp_paise=3360, cost_paise=2350),
        dl2=stocked(pd.system, dolo, "DL-2", date(2027, 1, 31), 25, mrp_paise=3360, cost_paise=2350),
        pn1=stocked(pd.system, pan, "PN-1", date(2028, 3, 31), 60, mrp_paise=15500, cost_paise=10850),
    )
    for batch, rack in ((made.dl1, "Rack A"), (made.dl2, "Rack A"), (made.pn1, "Rack B")):
        shelve(pd.system, batch, rack)
    return made


def tab_for(qtbot: Any, store: Store, tmp_path: Path, email: str, pd: PharmacyDay, cls: type[Any]) -> Any:
    """The tab ``cls`` for ``email``, signed in on its own window over ``store``, shown."""
    folder = tmp_path / email.split("@", maxsplit=1)[0]
    folder.mkdir(exist_ok=True)
    window = signed_in_window(qtbot, store, folder, email, PASSWORD, clock=pd.rx.day.clock)
    tab = cls(window.session)
    qtbot.addWidget(tab)
    tab.resize(1366, 700)
    tab.show()
    tab.window_ = window
    return tab
