"""Printing a lab report (``lab.view``): the PDF of a verified result, on the clinic's letterhead.

Only a ``verified`` order prints (a result nobody has checked is not released on paper); times are shown in
the clinic's zone; the age is the patient's on the day of the order. Every print is an audited event.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

from db.models.hospital import Hospital
from db.models.patients import Patient
from hms_desktop.audit.trail import record
from hms_desktop.clinic_time import zone_of
from hms_desktop.context import Context
from hms_desktop.errors import Conflict
from hms_desktop.printing.lab_report import LabReportData, LabReportRow, render_lab_report
from hms_desktop.security.permissions import requires
from hms_desktop.services.clinical.lab_orders import LabOrderView, order_row, order_views
from hms_desktop.services.clinical.lab_parameters import ResultValue
from hms_desktop.settings import LOGO_KEY, clinic_settings, current_hospital, setting_blob

SEX_WORDS = {"M": "Male", "F": "Female", "O": "Other", "U": "Not recorded"}


def flag_mark(v: ResultValue) -> str:
    """What the report's flag column says of a value ("" when normal or not flagged)."""
    if v.flag == "critical":
        return {"low": "Critical L", "high": "Critical H"}.get(v.direction or "", "Critical")
    if v.flag == "abnormal":
        return {"low": "L", "high": "H"}.get(v.direction or "", "Abnormal")
    return ""


def _when(at: datetime | None, zone: ZoneInfo) -> str:
    if at is None:
        return "-"
    local = at.astimezone(zone)
    return f"{local:%d %b %Y, %H:%M} {local.tzname()}"


def _address(h: Hospital) -> str:
    place = " ".join(x for x in (h.state, h.pincode) if x)
    return ", ".join(x for x in (h.address_line1, h.address_line2, h.city, place) if x)


def _contact(h: Hospital) -> str:
    return " | ".join(x for x in (f"Ph: {h.phone}" if h.phone else "", h.email) if x)


def report_data(v: LabOrderView, hospital: Hospital, logo: bytes | None, zone: ZoneInfo,
                approximate_age: bool = False) -> LabReportData:  # fmt: skip
    age = f"{v.patient_age_years} Y" if v.patient_age_years is not None else "Age not recorded"
    if approximate_age and v.patient_age_years is not None:
        age = f"~{age}"
    return LabReportData(
        hospital_name=hospital.name, hospital_address=_address(hospital), hospital_contact=_contact(hospital),
        logo=logo, patient_name=v.patient_name, patient_code=v.patient_code,
        age_sex=f"{age} / {SEX_WORDS.get(v.patient_gender, v.patient_gender)}", referring_doctor=v.doctor_name,
        order_code=v.code, test_name=v.test_name, sample_type=v.sample_type.replace("_", " ").capitalize(),
        ordered_at=_when(v.ordered_at, zone), sample_collected_at=_when(v.sample_collected_at, zone),
        reported_at=_when(v.completed_at, zone), verified_at=_when(v.verified_at, zone),
        rows=tuple(LabReportRow(parameter=r.name, value=r.value, unit=r.unit, reference=r.ref_text,
                                flag=flag_mark(r)) for r in v.values),
        summary=v.result_summary, entered_by=v.reported_by_name or "-", verified_by=v.verified_by_name or "-",
        corrections=tuple(f"{_when(c.at, zone)}, {c.by_name}: {c.reason}" for c in v.corrections),
    )  # fmt: skip


@requires("lab.view")
def lab_report_pdf(ctx: Context, order_id: uuid.UUID) -> bytes:
    """The report of a verified order as PDF bytes (Conflict before verification)."""
    with ctx.transaction() as tx:
        o = order_row(tx, order_id)
        if o.status != "verified":
            state = o.status.replace("_", " ")
            raise Conflict(f"{o.code} is {state}; the report prints once the result is verified.")
        view = order_views(tx, [o])[0]
        hospital = current_hospital(tx.session)
        patient = tx.session.get(Patient, o.patient_id)
        approximate = bool(patient and patient.dob_is_approximate)
        data = report_data(view, hospital, setting_blob(tx.session, hospital.id, LOGO_KEY),
                           zone_of(clinic_settings(tx.session)), approximate)  # fmt: skip
        pdf = render_lab_report(data)
        record(tx, "print", entity_type="lab_orders", entity_id=o.id, patient_id=o.patient_id,
               detail=f"Lab report {o.code}")  # fmt: skip
        tx.commit()
        return pdf
