"""The repair slip handed to the patient with the item they leave (``optical.view``).

``repair_slip_data`` builds ``RepairSlipData`` from the repair as it stands: the clinic's heading (name, one-line
address, phone and email, GSTIN, logo), the patient, the item (own or bought here), the fault, the estimate in
rupees (parts, labour, their sum, GST included), whether and how the patient approved it, the status, and the
at-owner's-risk note, printed on every slip. ``repair_slip_pdf`` renders it (``printing.optical_slips``) and
records the print in the audit trail, as every printout is.
"""

from __future__ import annotations

import uuid

from hms_desktop.audit.trail import record
from hms_desktop.context import Context, Transaction
from hms_desktop.printing.optical_data import RepairSlipData
from hms_desktop.printing.optical_slips import render_repair_slip
from hms_desktop.security.permissions import requires
from hms_desktop.services.optical.print_heading import clinic_heading
from hms_desktop.services.optical.repair_views import RepairView, repair_row, view_of

RISK_NOTE = (
    "Repairs are carried out entirely at the owner's risk. A frame or lens that is old, brittle or already "
    "damaged may break while it is being repaired; the clinic is not liable for such breakage. Please bring this "
    "slip when you collect the item."
)


def _approval(view: RepairView) -> str:
    if not view.estimate_approved:
        return "Estimate (GST included) not yet approved by the patient: work starts once they approve it."
    return f"Estimate (GST included) {view.approval_text[0].lower()}{view.approval_text[1:]}."


def _slip(tx: Transaction, view: RepairView) -> RepairSlipData:
    return RepairSlipData(
        clinic=clinic_heading(tx), repair_code=view.code, received_on=view.received_on,
        promised_date=view.promised_date, patient_name=view.patient_name, patient_code=view.patient_code,
        patient_phone=view.patient_phone, item=view.item_description, own_item=view.own_item,
        fault=view.issue_description, parts=view.parts_text, labour=view.labour_text, estimate=view.estimate_text,
        approval=_approval(view), status=view.status_label, risk_note=RISK_NOTE,
    )  # fmt: skip


@requires("optical.view")
def repair_slip_data(ctx: Context, repair_id: uuid.UUID) -> RepairSlipData:
    """What the repair slip prints (NotFound for no such repair); writes nothing."""
    with ctx.transaction(readonly=True) as tx:
        return _slip(tx, view_of(tx, repair_row(tx, repair_id)))


@requires("optical.view")
def repair_slip_pdf(ctx: Context, repair_id: uuid.UUID) -> bytes:
    """The repair slip as a PDF; each print is recorded in the audit trail."""
    with ctx.transaction() as tx:
        r = repair_row(tx, repair_id)
        pdf = render_repair_slip(_slip(tx, view_of(tx, r)))
        record(tx, "print", entity_type="optical_repairs", entity_id=r.id, patient_id=r.patient_id,
               detail=f"Repair slip {r.code}")  # fmt: skip
        tx.commit()
        return pdf
