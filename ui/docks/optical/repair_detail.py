"""One repair as the optician works it: its facts (patient, item, fault, the estimate and whether the patient
approved it, the dates, overdue in red and in words), its history (every step, who took it, the note), and the
steps its state allows (``repair_steps.allowed``): Approve estimate (who and how: "Patient, in person", "Patient,
by phone" or typed), Start work, Waiting for parts (which part), Resume work, Ready to collect, Deliver, Revise
estimate (new parts and labour, why), Cancel (why), and Print repair slip (the A6 slip, through the preview).

Each step is one call through ``ui.worker.run``; while it runs every step's button is disabled (a double click
does it once). A refusal is shown in the service's words: under the field it names, else by the step's buttons.
The repair shown is read again when another PC (or this one) changes it, while the tab is visible."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hms_desktop.changes import Changes
from hms_desktop.services.optical.repair_print import repair_slip_pdf
from hms_desktop.services.optical.repair_views import RepairView, repair
from hms_desktop.services.optical.repairs import (
    approve_estimate,
    cancel_repair,
    deliver_repair,
    repair_ready,
    revise_estimate,
    start_repair,
    wait_for_parts,
)
from ui import clinic_time
from ui.docks.optical.repair_steps import (
    APPROVERS,
    OVERDUE_BG,
    OVERDUE_FG,
    StepBox,
    allowed,
    facts_html,
    next_hint,
    row_of,
)
from ui.docks.pharmacy.common import cell, label, message_of, table
from ui.qt import QComboBox, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget, Signal, isValid
from ui.session import AppSession
from ui.worker import background, run

A6_MM = (105.0, 148.0)
WATCHED = ("optical_repairs", "optical_status_events", "patients")


def button(text: str, name: str, tip: str, checkable: bool = False) -> QPushButton:
    b = QPushButton(text)
    b.setObjectName(name)
    b.setToolTip(tip)
    b.setCheckable(checkable)
    b.setAutoDefault(False)
    return b


def line(name: str, placeholder: str) -> QLineEdit:
    edit = QLineEdit()
    edit.setObjectName(name)
    edit.setPlaceholderText(placeholder)
    return edit


class RepairDetail(QWidget):
    changed = Signal(object)  # the RepairView a step returned

    def __init__(self, session: AppSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.view: RepairView | None = None
        self.busy = False
        self.stale = False
        self.title = QLabel("Choose a repair from the list, or log a new one")
        self.title.setObjectName("formTitle")
        self.badge = QLabel()
        self.badge.setObjectName("repairOverdue")
        self.badge.setStyleSheet(f"background:{OVERDUE_BG};color:{OVERDUE_FG};padding:3px 8px;font-weight:600;")
        self.badge.hide()
        self.facts = label("repairFacts")
        self.hint = label("repairHint")
        self.message = label("formError")
        self.message.hide()
        self.info = label("repairInfo")
        self.info.hide()
        # steps without words
        self.start_button = button("Start work", "startRepair", "The patient approved the estimate: start the work")
        self.resume_button = button("Resume work", "resumeRepair", "The part came: go on with the work")
        self.ready_button = button(
            "Ready to collect", "repairReady", "The work is done: the patient is told and the charge goes to billing"
        )
        self.deliver_button = button("Deliver", "deliverRepair", "Hand the item back to the patient")
        self.print_button = button("Print repair slip", "printRepairSlip",
                                   "The slip for the patient, with the at-owner's-risk note (Ctrl+P)")  # fmt: skip
        # toggles that open a step with words
        self.wait_toggle = button("Waiting for parts...", "waitToggle", "Work stops until a part comes", True)
        self.revise_toggle = button("Revise estimate...", "reviseToggle", "A new estimate: the patient approves "
                                    "it again before work goes on", True)  # fmt: skip
        self.cancel_toggle = button("Cancel repair...", "cancelToggle", "Cancel the repair, with the reason", True)
        self.approved_by = QComboBox()
        self.approved_by.setObjectName("approvedBy")
        self.approved_by.setEditable(True)
        self.approved_by.addItems(list(APPROVERS))
        self.approved_by.setToolTip("Who approved and how; type another (e.g. Patient's son, by phone)")
        approve = button("Approve estimate", "approveEstimate", "Record the patient's approval (Enter)")
        self.approve = StepBox([("Approved by", row_of(self.approved_by, approve), ("approved_by",))],
                               {"approved_by": self.approved_by}, approve, self.do_approve)  # fmt: skip
        self.part = line("partAwaited", "e.g. Left hinge, ordered from Titan")
        wait = button("Wait for the part", "waitForParts", "Stop the work until it comes (Enter)")
        self.wait = StepBox([("Part awaited", row_of(self.part, wait), ("note",))], {"note": self.part}, wait,
                            self.do_wait)  # fmt: skip
        self.new_parts = line("reviseParts", "Rs, e.g. 450")
        self.new_labour = line("reviseLabour", "Rs, e.g. 150")
        self.why = line("reviseWhy", "e.g. Both hinges need replacing")
        revise = button("Revise estimate", "reviseEstimate", "Save the new estimate (Enter)")
        self.revise = StepBox(
            [("New parts (Rs)", row_of(self.new_parts, "labour (Rs)", self.new_labour), ("parts", "labour")),
             ("Why", row_of(self.why, revise), ("note",))],
            {"parts": self.new_parts, "labour": self.new_labour, "note": self.why}, revise, self.do_revise,
        )  # fmt: skip
        self.reason = line("cancelReason", "e.g. Patient will buy a new frame")
        cancel = button("Cancel repair", "cancelRepair", "Cancel it (Enter)")
        self.cancel = StepBox([("Why cancel", row_of(self.reason, cancel), ("reason",))], {"reason": self.reason},
                              cancel, self.do_cancel)  # fmt: skip
        self.boxes = {"wait": (self.wait_toggle, self.wait), "revise": (self.revise_toggle, self.revise),
                      "cancel": (self.cancel_toggle, self.cancel)}  # fmt: skip
        for key, (toggle, box) in self.boxes.items():
            toggle.toggled.connect(lambda on, k=key: self._toggle(k, on))
            box.hide()
        for b, slot in ((self.start_button, self.do_start), (self.resume_button, self.do_start),
                        (self.ready_button, self.do_ready), (self.deliver_button, self.do_deliver),
                        (self.print_button, self.do_print)):  # fmt: skip
            b.clicked.connect(lambda _=False, s=slot: s())
        steps = QHBoxLayout()
        for b in (self.start_button, self.resume_button, self.ready_button, self.deliver_button, self.wait_toggle,
                  self.revise_toggle, self.cancel_toggle):  # fmt: skip
            steps.addWidget(b)
        steps.addStretch()
        steps.addWidget(self.print_button)
        self.history = table(["When", "Step", "By", "Note"], 3, "repairHistory")
        self.history.setWordWrap(True)
        heading = QHBoxLayout()
        heading.addWidget(self.title, 1)
        heading.addWidget(self.badge)
        page = QVBoxLayout(self)
        page.setContentsMargins(0, 0, 0, 0)
        page.addLayout(heading)
        page.addWidget(self.facts)
        page.addWidget(self.hint)
        page.addLayout(steps)
        page.addWidget(self.message)
        page.addWidget(self.info)
        for w in (self.approve, self.wait, self.revise, self.cancel):
            page.addWidget(w)
        self.history_label = QLabel("<b>History</b>")
        page.addWidget(self.history_label)
        page.addWidget(self.history, 1)
        session.changes.changed.connect(self.on_changes)
        self.show_repair(None)

    # --- showing

    def show_repair(self, view: RepairView | None) -> None:
        same = view is not None and self.view is not None and view.id == self.view.id
        self.view = view
        if not same:
            self.message.hide()
            self.info.hide()
            for toggle, _box in self.boxes.values():
                toggle.setChecked(False)
            for edit in (self.part, self.why, self.reason):
                edit.clear()
            self.approved_by.setCurrentIndex(0)
            if view is not None:
                self.new_parts.setText(view.parts_text.removeprefix("Rs ").replace(",", ""))
                self.new_labour.setText(view.labour_text.removeprefix("Rs ").replace(",", ""))
        self._render()

    def _render(self) -> None:
        v = self.view
        for w in (self.facts, self.hint, self.history, self.history_label):
            w.setVisible(v is not None)
        if v is None:
            self.title.setText("Choose a repair from the list, or log a new one")
            self.badge.hide()
            self._buttons()
            return
        self.title.setText(f"{v.code}   {v.status_label}")
        self.badge.setText(f"OVERDUE: promised {v.promised_date:%d %b %Y}" if v.overdue and v.promised_date else "")
        self.badge.setVisible(v.overdue)
        self.facts.setText(facts_html(v))
        self.hint.setText(next_hint(v))
        self.history.setRowCount(len(v.history))
        for r, step in enumerate(v.history):
            when = clinic_time.local(step.happened_at).strftime("%d %b %H:%M")
            for c, text in enumerate((when, step.label, step.by_name, step.note)):
                self.history.setItem(r, c, cell(text, tip=step.note if c == 3 else ""))
        self.history.resizeRowsToContents()
        self._buttons()

    def _buttons(self) -> None:
        v, idle = self.view, not self.busy
        steps = allowed(v) if v is not None and self.session.can("optical.repairs") else set()
        for key, b in (("start", self.start_button), ("resume", self.resume_button), ("ready", self.ready_button),
                       ("deliver", self.deliver_button), ("wait", self.wait_toggle), ("revise", self.revise_toggle),
                       ("cancel", self.cancel_toggle)):  # fmt: skip
            b.setVisible(key in steps)
            b.setEnabled(idle)
        self.print_button.setVisible(v is not None and self.session.can("optical.view"))
        self.print_button.setEnabled(idle)
        self.approve.setVisible("approve" in steps)
        for key, (toggle, box) in self.boxes.items():
            if key not in steps:
                toggle.setChecked(False)
            box.setVisible(key in steps and toggle.isChecked())
        for box in (self.approve, self.wait, self.revise, self.cancel):
            box.button.setEnabled(idle)

    def _toggle(self, key: str, on: bool) -> None:
        toggle, box = self.boxes[key]
        if on:
            for other, (t, _b) in self.boxes.items():
                if other != key:
                    t.setChecked(False)  # one step with words open at a time
            box.open()
        else:
            box.hide()

    def on_changes(self, changes: Changes) -> None:
        if changes.touches(*WATCHED) and self.view is not None:
            self.stale = True
            self.refetch()

    def showEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        self.refetch()

    def refetch(self) -> None:
        if self.stale and self.view is not None and not self.busy and self.isVisible():
            self.stale = False
            background(self, repair, self.session.ctx, self.view.id, done=self._refetched, failed=lambda _e: None)

    def _refetched(self, view: RepairView) -> None:
        if isValid(self) and self.view is not None and view.id == self.view.id and view != self.view:
            self.show_repair(view)

    # --- steps

    def _act(self, fn: Callable[..., Any], *args: Any, label: str, box: StepBox | None = None,
             done: Callable[[Any], None] | None = None) -> None:  # fmt: skip
        if self.busy or self.view is None:
            return  # a double click, or nothing chosen
        self.busy = True
        self.message.hide()
        self.info.hide()
        if box is not None:
            box.errors.clear()
        self._buttons()
        run(self, fn, self.session.ctx, self.view.id, *args, done=done or self._done,
            failed=lambda exc: self._failed(exc, box), label=label)  # fmt: skip

    def do_approve(self) -> None:
        self._act(approve_estimate, self.approved_by.currentText(), label="Recording the approval...",
                  box=self.approve)  # fmt: skip

    def do_start(self) -> None:
        self._act(start_repair, label="Starting the work...")

    def do_wait(self) -> None:
        self._act(wait_for_parts, self.part.text(), label="Putting the repair on hold...", box=self.wait)

    def do_ready(self) -> None:
        self._act(repair_ready, label="Marking it ready...")

    def do_deliver(self) -> None:
        self._act(deliver_repair, label="Handing it back...")

    def do_revise(self) -> None:
        self._act(revise_estimate, self.new_parts.text(), self.new_labour.text(), self.why.text(),
                  label="Revising the estimate...", box=self.revise)  # fmt: skip

    def do_cancel(self) -> None:
        self._act(cancel_repair, self.reason.text(), label="Cancelling the repair...", box=self.cancel)

    def do_print(self) -> None:
        v = self.view
        if v is not None and self.print_button.isVisible():
            self._act(repair_slip_pdf, label="Making the repair slip...", done=lambda pdf: self._preview(pdf, v))

    def _preview(self, pdf: bytes, view: RepairView) -> None:
        self.busy = False
        self._buttons()
        from ui.print_preview import preview_pdf

        preview_pdf(self, pdf, f"Repair slip {view.code}", A6_MM)

    def _done(self, view: RepairView) -> None:
        if not isValid(self):
            return
        self.busy = False
        self.stale = False  # the repair as the step left it: the step's own broadcast is no news
        for toggle, _box in self.boxes.values():
            toggle.setChecked(False)
        for edit in (self.part, self.why, self.reason):
            edit.clear()
        self.show_repair(view)
        if view.history:
            last = view.history[-1]
            self.say(f"{view.code}: {last.label}." + (f" {last.note}" if last.note else ""))
        self.changed.emit(view)

    def say(self, text: str) -> None:
        self.info.setText(text)
        self.info.setVisible(bool(text))

    def _failed(self, exc: BaseException, box: StepBox | None) -> None:
        if not isValid(self):
            return
        self.busy = False
        self._buttons()
        if box is not None and box.isVisible():
            box.show_error(exc)
        else:
            self.message.setText(message_of(exc))
            self.message.show()
        self.stale = True
        self.refetch()  # refused because the repair changed meanwhile (here or on another PC): show it as it is
