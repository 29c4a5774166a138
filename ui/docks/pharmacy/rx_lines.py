"""The open prescription's lines as the pharmacist edits them before dispensing (plain data, no widgets): what was
prescribed, dispensed and remains, what to give now, the batch chosen instead of FEFO's (with its reason), a
generic substitute (with its note), and whether the pack was scanned. ``load`` reads everything the panel shows
in one worker job (services only); ``dispense_input`` is what ``dispensing.dispense`` and ``plan_dispense`` get."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from hms_desktop.context import Context
from hms_desktop.services.pharmacy.catalog import get_medicine
from hms_desktop.services.pharmacy.dispensing import prescription_plan
from hms_desktop.services.pharmacy.dispensing_views import (
    DispenseInput,
    DispenseLine,
    DispensePlan,
    DispensingView,
    PlanLine,
)
from hms_desktop.services.pharmacy.rx_fill import OPEN_QUANTITY_LIMIT
from hms_desktop.services.pharmacy.stock_views import BatchView, batches_of
from hms_desktop.services.pharmacy.to_dispense import PrescriptionToDispense, prescription_to_dispense
from ui.docks.pharmacy.common import Facts, rs


@dataclass(frozen=True)
class Opened:
    rx: PrescriptionToDispense
    plan: DispensePlan  # FEFO's picks for everything that remains
    facts: dict[uuid.UUID, Facts]
    batches: dict[uuid.UUID, list[BatchView]]  # each medicine's batches with stock, FEFO order


def sellable(batches: list[BatchView]) -> list[BatchView]:
    return [b for b in batches if not b.expired and b.on_hand > 0]


def load(ctx: Context, rx_id: uuid.UUID) -> Opened:
    rx = prescription_to_dispense(ctx, rx_id)
    plan = prescription_plan(ctx, rx_id)
    ids = {line.medicine_id for line in plan.lines if line.medicine_id is not None}
    facts = {i: Facts.of(get_medicine(ctx, i)) for i in ids}
    return Opened(rx, plan, facts, {i: batches_of(ctx, i) for i in ids})


def medicine_batches(ctx: Context, medicine_id: uuid.UUID) -> tuple[Facts, list[BatchView]]:
    return Facts.of(get_medicine(ctx, medicine_id)), batches_of(ctx, medicine_id)


@dataclass
class Line:
    item_id: uuid.UUID | None
    medicine_id: uuid.UUID | None  # as prescribed (None: free text the pharmacy does not stock)
    name: str
    schedule: str
    prescribed: int | None
    dispensed: int
    remaining: int | None  # None: an open (SOS) quantity
    note: str  # the plan's note for a line it gives nothing ("Dispensed in full.")
    give: int = 0
    batch_id: uuid.UUID | None = None  # None: FEFO picks
    reason: str = ""
    substitute: Facts | None = None
    substitute_note: str = ""
    confirmed: bool = False  # the pack was scanned
    batches: list[BatchView] = field(default_factory=list)

    @classmethod
    def of(cls, p: PlanLine) -> Line:
        give = p.remaining if p.remaining and p.medicine_id is not None else 0
        return cls(item_id=p.prescription_item_id, medicine_id=p.medicine_id, name=p.medicine_name,
                   schedule=p.schedule, prescribed=p.prescribed, dispensed=p.dispensed_before,
                   remaining=p.remaining, note=p.note, give=give)  # fmt: skip

    @property
    def given_id(self) -> uuid.UUID | None:
        """The medicine handed over: the substitute, else the one prescribed."""
        return self.substitute.id if self.substitute is not None else self.medicine_id

    @property
    def most(self) -> int:
        """The largest quantity that may be given now."""
        if self.given_id is None or self.remaining == 0:
            return 0
        return OPEN_QUANTITY_LIMIT if self.remaining is None else self.remaining

    @property
    def pending_note(self) -> str:
        """Why the plan gives this line nothing now."""
        if self.remaining == 0:
            return "Dispensed in full."
        if self.given_id is None or self.remaining is None:
            return self.note
        return "Not now: stays pending"

    def dispense_line(self) -> DispenseLine:
        assert self.given_id is not None
        return DispenseLine(medicine_id=self.given_id, quantity=self.give, prescription_item_id=self.item_id,
                            batch_id=self.batch_id, pick_reason=self.reason.strip(),
                            substitute_note=self.substitute_note.strip() if self.substitute else "")  # fmt: skip


def given(lines: list[Line]) -> list[int]:
    """The indices of the lines with something to give now."""
    return [i for i, line in enumerate(lines) if line.give > 0 and line.given_id is not None]


def dispense_input(rx: PrescriptionToDispense, lines: list[Line]) -> DispenseInput:
    return DispenseInput(patient_id=rx.patient_id, prescription_id=rx.prescription_id,
                         lines=[lines[i].dispense_line() for i in given(lines)])  # fmt: skip


def register_entries(v: DispensingView) -> int:
    return sum(1 for i in v.items if i.schedule in ("H1", "X"))


def summary_of(v: DispensingView) -> str:
    n = register_entries(v)
    text = f"<b>{v.code}</b> dispensed: {rs(v.total_paise)} for {len(v.items)} line{'s' if len(v.items) != 1 else ''}"
    text += f"; {n} register entr{'ies' if n != 1 else 'y'} written (Schedule H1/X)." if n else "."
    if v.prescription_status == "dispensed":
        return text + f" {v.prescription_code} is dispensed in full."
    return text + f" The rest of {v.prescription_code} stays on the list." if v.prescription_code else text
