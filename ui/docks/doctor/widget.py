"""The Doctor dock: today's queue on the left; on the right the open patient (header with allergies) and the
visit's tabs: Consultation, Prescription, Lab, Eye Rx, Vitals, History. Opening a patient from the queue starts
the consultation; Complete visit (Ctrl+Enter) saves the notes, completes it (queue, appointment, fee charge) and
offers to book the follow-up on the date the doctor set. A nurse sees the same dock for a chosen doctor, with
vitals and allergies to record and no consultation to start."""

from __future__ import annotations

from typing import Any

from hms_desktop.services.clinical.consultations import ConsultationView, complete_consultation, start_consultation
from hms_desktop.services.clinical.icd10 import search_icd10
from hms_desktop.services.clinical.medicine_search import search_medicines
from hms_desktop.services.reception import queue
from hms_desktop.services.reception.appointments import BookingInput, book_appointment, day_slots
from hms_desktop.services.reception.doctors import list_doctors
from ui.docks.doctor.consult_tab import ConsultTab
from ui.docks.doctor.eye_tab import EyeTab
from ui.docks.doctor.header import PatientPanel
from ui.docks.doctor.lab_tab import LabTab
from ui.docks.doctor.queue_list import DoctorQueue
from ui.docks.doctor.rx_tab import RxTab
from ui.docks.doctor.visit import Visit
from ui.docks.doctor.vitals_tab import VitalsTab
from ui.qt import (
    QComboBox,
    QHBoxLayout,
    QKeySequence,
    QLabel,
    QMessageBox,
    QPushButton,
    QShortcut,
    QSplitter,
    Qt,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)
from ui.worker import background, run


class DoctorDock(QWidget):
    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.window_ = window
        self.session = window.session
        self.visit: Visit | None = None
        self.my_doctor: Any = None  # the signed-in user's doctor profile, if any
        self.queue = DoctorQueue(self.session)
        self.queue.opened.connect(self.open_entry)
        self.queue.call_button.clicked.disconnect()
        self.queue.call_button.clicked.connect(self.call_next)
        self.doctor_pick = QComboBox()
        self.doctor_pick.setObjectName("doctorPick")
        self.doctor_pick.currentIndexChanged.connect(self._picked)
        self.patient = PatientPanel(self.session)
        self.consult = ConsultTab(self.session)
        self.rx = RxTab(self.session)
        self.rx.follow_up = self.consult.follow_up_value
        self.rx.diagnosis = self._diagnosis_text
        self.lab = LabTab(self.session)
        self.eye = EyeTab(self.session)
        self.vitals = VitalsTab(self.session)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("doctorTabs")
        self.tabs.addTab(self.consult, "Consultation")
        self.tabs.addTab(self.rx, "Prescription")
        self.tabs.addTab(self.lab, "Lab")
        self.tabs.addTab(self.eye, "Eye Rx")
        self.tabs.addTab(self.vitals, "Vitals")
        self.tabs.addTab(self.patient.history, "History")
        self.complete_button = QPushButton("Complete visit  (Ctrl+Enter)")
        self.complete_button.setObjectName("completeVisit")
        self.complete_button.clicked.connect(lambda: self.complete())  # noqa: PLW0108 - clicked passes a bool
        self.complete_button.setEnabled(False)
        self.complete_button.setVisible(self.session.can("clinical.consult"))
        self.note = QLabel()
        self.note.setObjectName("doctorNote")
        self.note.setWordWrap(True)
        left = QWidget()
        lbox = QVBoxLayout(left)
        pick_row = QHBoxLayout()
        pick_row.addWidget(QLabel("Doctor"))
        pick_row.addWidget(self.doctor_pick, 1)
        self.pick_row = QWidget()
        self.pick_row.setLayout(pick_row)
        lbox.addWidget(self.pick_row)
        lbox.addWidget(self.queue, 1)
        right = QWidget()
        rbox = QVBoxLayout(right)
        rbox.addWidget(self.patient)
        rbox.addWidget(self.tabs, 1)
        bottom = QHBoxLayout()
        bottom.addWidget(self.note, 1)
        bottom.addWidget(self.complete_button)
        rbox.addLayout(bottom)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(right)
        split.setStretchFactor(1, 3)
        split.setSizes([400, 960])
        QVBoxLayout(self).addWidget(split)
        for seq, slot in (("Ctrl+Return", self.complete), ("Ctrl+Enter", self.complete), ("Ctrl+S", self.save)):
            QShortcut(QKeySequence(seq), self, slot, Qt.ShortcutContext.WidgetWithChildrenShortcut)
        window.action.connect(self.on_action)
        self._set_visit(None)
        run(self, list_doctors, self.session.ctx, done=self._doctors)
        # the first keystroke should not build the search indexes; a warm-up that fails only costs that wait
        background(self, warm_searches, self.session.ctx, failed=lambda _e: None)

    # --- whose queue

    def _doctors(self, doctors: list[Any]) -> None:
        me = self.session.actor.user_id
        self.my_doctor = next((d for d in doctors if d.user_id == me), None)
        self.doctor_pick.blockSignals(True)
        for d in doctors if self.my_doctor is None else [self.my_doctor]:
            self.doctor_pick.addItem(d.display_name, d.id)
        self.doctor_pick.blockSignals(False)
        self.pick_row.setVisible(self.my_doctor is None)  # a doctor sees their own queue
        self._picked()

    def _picked(self) -> None:
        if self.doctor_pick.currentData() is not None:
            self.queue.set_doctor(self.doctor_pick.currentData(), self.doctor_pick.currentText())

    # --- opening a patient

    def open_entry(self, entry: queue.QueueEntryView) -> None:
        """A doctor opening their patient starts (or resumes) the consultation; anyone else sees the patient."""
        if self.visit is not None and self.visit.appointment_id == entry.appointment_id:
            return
        is_mine = self.my_doctor is not None and entry.doctor_id == self.my_doctor.id
        if is_mine and self.session.can("clinical.consult"):
            run(self, start_consultation, self.session.ctx, entry.id, done=self._started, failed=self._failed)
            return
        self._set_visit(
            Visit(
                patient_id=entry.patient_id,
                patient_name=entry.patient_name,
                patient_code=entry.patient_code,
                appointment_id=entry.appointment_id,
                consultation_id=None,
                doctor_id=None,
            )
        )

    def _started(self, c: ConsultationView) -> None:
        self._set_visit(
            Visit(
                patient_id=c.patient_id,
                patient_name=c.patient_name,
                patient_code=c.patient_code,
                appointment_id=c.appointment_id,
                consultation_id=c.id,
                doctor_id=c.doctor_id,
                completed=c.status == "completed",
            )
        )
        self.tabs.setCurrentWidget(self.consult)
        self.consult.complaint.setFocus()

    def _set_visit(self, visit: Visit | None) -> None:
        self.visit = visit
        self.patient.set_patient(visit.patient_id if visit else None)
        for tab in (self.consult, self.rx, self.lab, self.eye, self.vitals):
            tab.set_visit(visit)
        open_consultation = visit is not None and visit.consultation_id is not None and not visit.completed
        self.complete_button.setEnabled(open_consultation)
        self.note.setText(f"Seeing {visit.patient_name} ({visit.patient_code})" if visit else "")

    def _failed(self, exc: BaseException) -> None:
        self.note.setText(getattr(exc, "message", str(exc)))

    def _diagnosis_text(self) -> str:
        return "; ".join(d.description for d in self.consult.diagnosis_inputs())

    # --- completing

    def save(self) -> None:
        if self.tabs.currentWidget() is self.rx:
            self.rx.save()
        else:
            self.consult.save()

    def complete(self, then: Any = None) -> None:
        visit = self.visit
        if visit is None or visit.consultation_id is None or visit.completed or not self.complete_button.isEnabled():
            return
        self.complete_button.setEnabled(False)
        cid = visit.consultation_id

        def done(c: ConsultationView) -> None:
            self.note.setText(f"Visit of {c.patient_name} completed.")
            self._set_visit(None)
            self._offer_follow_up(c)
            if then is not None:
                then()

        def failed(exc: BaseException) -> None:
            self.complete_button.setEnabled(True)
            self._failed(exc)

        self.consult.save(
            then=lambda: run(self, complete_consultation, self.session.ctx, cid, done=done, failed=failed)
        )
        if not self.consult.saving:  # the notes could not be saved: their message is on the form
            self.complete_button.setEnabled(True)

    def _offer_follow_up(self, c: ConsultationView) -> None:
        if c.follow_up_date is None or not self.session.can("appointments.create"):
            return
        day = c.follow_up_date
        answer = QMessageBox.question(
            self, "Follow-up", f"Book {c.patient_name}'s follow-up with {c.doctor_name} on {day:%a %d %b %Y}?"
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        ctx = self.session.ctx

        def book() -> Any:
            slots = day_slots(ctx, c.doctor_id, day)
            free = next((s for s in slots.slots if s.state == "free"), None)
            if free is None:
                reason = slots.leave_reason if slots.on_leave else "no free slot"
                raise ValueError(f"The doctor has {reason or 'no free slot'} on {day:%d %b}; book it at the desk.")
            return book_appointment(ctx, BookingInput(c.patient_id, c.doctor_id, day, free.start, "follow_up"))

        run(
            self,
            book,
            done=lambda a: self.note.setText(f"Follow-up booked: {a.code}, {day:%d %b} at {a.slot_start:%H:%M}."),
            failed=self._failed,
        )

    # --- shortcuts of the window

    def on_action(self, key: str) -> None:
        if key == "call_next" and self.window_.owns_action("doctor"):
            self.call_next()

    def call_next(self) -> None:
        """The next patient; an open consultation is completed first (asked), never left half-done."""
        if self.visit is not None and self.visit.consultation_id is not None and not self.visit.completed:
            answer = QMessageBox.question(
                self, "Call next", f"Complete the visit of {self.visit.patient_name} and call the next patient?"
            )
            if answer == QMessageBox.StandardButton.Yes:
                self.complete(then=self.queue.call_next)
            return
        self.queue.call_next()


def warm_searches(ctx: Any) -> None:
    """Build the ICD-10 and medicine search indexes on the worker (about half a second each, once a process)."""
    search_icd10(ctx, "fever", 1)
    if ctx.actor.can("prescriptions.view"):
        search_medicines(ctx, "para", limit=1)
