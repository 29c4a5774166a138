"""The pack scanner's field: a barcode scanner (a keyboard wedge) types the pack's EAN digits and Enter, or the
pharmacist types them. Enter looks the pack up (``dispensing.scan_pack``: the medicine and its sellable batches in
FEFO order, with the catalogue entry for its unit) and hands the result on; an unknown code is answered in the
service's words. The app-wide scanner (``ui.scanner``) takes only the app's own codes (PAT-..., RX-...), so the
digits of a pack reach this field as typed."""

from __future__ import annotations

from dataclasses import dataclass

from hms_desktop.context import Context
from hms_desktop.services.pharmacy.catalog import MedicineView, get_medicine
from hms_desktop.services.pharmacy.dispensing import ScanHit, scan_pack
from ui.docks.pharmacy.common import message_of
from ui.qt import QLineEdit, QWidget, Signal, isValid
from ui.session import AppSession
from ui.worker import background

TIP = "Scan a pack's barcode or type it and press Enter"


@dataclass(frozen=True)
class Scanned:
    hit: ScanHit
    medicine: MedicineView


def look_up(ctx: Context, code: str) -> Scanned:
    hit = scan_pack(ctx, code)
    return Scanned(hit, get_medicine(ctx, hit.medicine_id))


class ScanField(QLineEdit):
    found = Signal(object)  # a Scanned
    refused = Signal(str)  # the service's message

    def __init__(self, session: AppSession, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.setObjectName(name)
        self.setToolTip(TIP)
        self.setPlaceholderText("Scan a pack (or type its barcode, Enter)")
        self.setClearButtonEnabled(True)
        self.returnPressed.connect(self.look_up)

    def look_up(self) -> None:
        code = self.text().strip()
        if not code:
            return
        self.clear()  # ready for the next pack while this one is looked up
        background(self, look_up, self.session.ctx, code, done=self._found, failed=self._failed)

    def _found(self, scanned: Scanned) -> None:
        if isValid(self):
            self.found.emit(scanned)

    def _failed(self, exc: BaseException) -> None:
        if isValid(self):
            self.refused.emit(message_of(exc))
