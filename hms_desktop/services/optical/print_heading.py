"""The clinic's heading on every optical printout (eye prescription, job card, order and repair slips): its name,
a one-line address, phone and email, GSTIN and logo, read in the printing service's transaction."""

from __future__ import annotations

from hms_desktop.context import Transaction
from hms_desktop.printing.optical_data import ClinicHeading
from hms_desktop.settings import LOGO_KEY, current_hospital, setting_blob


def clinic_heading(tx: Transaction) -> ClinicHeading:
    hospital = current_hospital(tx.session)
    place = " ".join(x for x in (hospital.city, hospital.pincode) if x)
    address = ", ".join(x for x in (hospital.address_line1, hospital.address_line2, place, hospital.state) if x)
    contact = " | ".join(x for x in (f"Ph: {hospital.phone}" if hospital.phone else "", hospital.email) if x)
    return ClinicHeading(
        name=hospital.name, address=address, contact=contact, gstin=hospital.gstin or "",
        logo=setting_blob(tx.session, hospital.id, LOGO_KEY),
    )  # fmt: skip
