"""Sync tab: this PC's sync status, enrolment with the clinic's server (address, one-time code, PC name, and for an
https address the fingerprint of the server's certificate, shown only then), a sync on demand, and the edits that
lost to a later edit on another PC (keep the winner, or restore the loser)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from hms_desktop.sync import hlc
from hms_desktop.sync.conflicts import ConflictView, list_conflicts, resolve_conflict
from hms_desktop.sync.enrol import EnrolResult
from hms_desktop.sync.manage import enrol_this_pc, sync_now, this_pc_sync_status
from hms_desktop.sync.runner import SyncReport
from hms_desktop.sync.state import SyncStatus
from ui.docks.admin.common import AdminTab, button, fill, line, message_label, row_key, row_of, say, show_time, table
from ui.forms import FieldErrors
from ui.qt import QCheckBox, QFormLayout, QGroupBox, QLabel, QPlainTextEdit, QScrollArea, QVBoxLayout, QWidget
from ui.session import AppSession
from ui.worker import error_text, run


def edited_at(stamp: str | None) -> str:
    """When an edit was made, read from its clock value."""
    try:
        parsed = hlc.parse(stamp)
    except ValueError:
        return ""
    return show_time(datetime.fromtimestamp(parsed.ms / 1000, tz=UTC))


class SyncTab(AdminTab):
    WATCHED = ("sync_conflicts",)

    def __init__(self, session: AppSession, parent: QWidget | None = None) -> None:
        super().__init__(session, parent)
        self.resolve_allowed = session.can("settings.manage")
        self.conflicts: dict[object, ConflictView] = {}
        self.state_box = QGroupBox("This PC")
        state_form = QFormLayout(self.state_box)
        self.summary = QLabel("...")
        self.summary.setObjectName("syncSummary")
        self.server = QLabel()
        self.this_pc = QLabel()
        self.last_success = QLabel()
        self.pending = QLabel()
        self.last_error = QLabel()
        self.last_error.setWordWrap(True)
        for title, label in (
            ("Status", self.summary),
            ("Server", self.server),
            ("This PC", self.this_pc),
            ("Last success", self.last_success),
            ("Changes waiting", self.pending),
            ("Last error", self.last_error),
        ):
            state_form.addRow(title, label)
        self.sync_button = button("Sync now", "syncNow", self.sync)
        state_form.addRow("", row_of(self.sync_button))

        self.enrol_box = QGroupBox("Enrol this PC with the clinic's sync server")
        form = QFormLayout()
        self.server_url = line("syncServerUrl", "e.g. https://192.168.1.10:8765", self.enrol)
        self.code = line("syncCode", "the one-time code, e.g. K7QF-2MXC-9RTB", self.enrol)
        self.fingerprint = line("syncFingerprint", "shown with the code, e.g. C40B 8BE6 D1B8 419A ...", self.enrol)
        self.pc_name = line("syncPcName", "e.g. Reception 1", self.enrol)
        form.addRow("Server address *", self.server_url)
        form.addRow("Enrolment code *", self.code)
        form.addRow("Certificate fingerprint *", self.fingerprint)
        form.addRow("This PC's name *", self.pc_name)
        general = QLabel()
        fields = {"server_url": self.server_url, "code": self.code, "fingerprint": self.fingerprint}
        self.errors = FieldErrors(form, {**fields, "name": self.pc_name}, general)
        self.enrol_form = form
        self.server_url.textChanged.connect(lambda _text: self._fingerprint_shown())
        self._fingerprint_shown()
        self.enrol_button = button("Enrol this PC", "enrolPc", self.enrol)
        ebox = QVBoxLayout(self.enrol_box)
        intro = QLabel(
            "This PC keeps its data: everything it holds is uploaded at its first sync. A server on the "
            "network is https://, with the certificate fingerprint the administrator gives with the code. "
            "See docs/sync.md for setting up the server."
        )
        intro.setWordWrap(True)
        ebox.addWidget(intro)
        ebox.addWidget(general)
        ebox.addLayout(form)
        ebox.addLayout(row_of(self.enrol_button))

        self.conflict_box = QGroupBox("Edits that lost to a later edit, and records the server set aside")
        self.conflict_table = table(
            "syncConflicts", ["Found", "Record", "Losing edit made", "Kept edit made", "Why", "Status"]
        )
        self.conflict_table.itemSelectionChanged.connect(self._conflict_selected)
        self.show_resolved = QCheckBox("Show resolved ones too")
        self.show_resolved.setObjectName("showResolvedConflicts")
        self.show_resolved.toggled.connect(lambda _on: self._load_conflicts())
        self.loser_values = QPlainTextEdit()
        self.loser_values.setObjectName("loserValues")
        self.loser_values.setReadOnly(True)
        self.loser_values.setPlaceholderText("The losing version of the selected record")
        self.keep_button = button("Keep the current version", "keepWinner", lambda: self.resolve(False))
        self.restore_button = button("Restore the losing version", "restoreLoser", lambda: self.resolve(True))
        cbox = QVBoxLayout(self.conflict_box)
        cbox.addWidget(self.show_resolved)
        cbox.addWidget(self.conflict_table, 1)
        cbox.addWidget(self.loser_values)
        cbox.addLayout(row_of(self.keep_button, self.restore_button))

        self.status = message_label("syncStatus")
        self.conflict_table.setMinimumHeight(120)
        body = QWidget()
        box = QVBoxLayout(body)
        box.addWidget(self.state_box)
        box.addWidget(self.enrol_box)
        box.addWidget(self.conflict_box, 1)
        box.addWidget(self.status)
        scroll = QScrollArea()  # the enrolment form and the conflicts fit a 1366x768 screen by scrolling
        scroll.setWidgetResizable(True)
        scroll.setWidget(body)
        QVBoxLayout(self).addWidget(scroll)
        self.enrol_box.hide()
        self.sync_button.setEnabled(False)
        self._buttons()

    # --- status and enrolment

    def refresh(self) -> None:
        ctx, store = self.session.ctx, self.session.store
        run(self, lambda: this_pc_sync_status(ctx, store), done=self._shown, label="Reading the sync status...")
        self._load_conflicts()

    def _shown(self, s: SyncStatus) -> None:
        self.summary.setText(s.summary(self.session.base.clock.now()))
        self.server.setText(s.server_url or "not enrolled")
        self.this_pc.setText(f"{s.short_code} ({s.workstation_name})" if s.enrolled else "-")
        self.last_success.setText(show_time(s.last_success_at))
        self.pending.setText(str(s.pending_changes))
        self.last_error.setText(s.last_error or "-")
        self.enrol_box.setVisible(not s.enrolled)
        self.sync_button.setEnabled(s.enrolled)
        if not s.enrolled and not self.pc_name.text():
            self.pc_name.setText(self.session.base.workstation.name if self.session.base.workstation.id else "")

    def _fingerprint_shown(self) -> None:
        """The fingerprint is asked for (and sent) only for an https address."""
        https = self.server_url.text().strip().lower().startswith("https://")
        self.enrol_form.setRowVisible(self.fingerprint, https)

    def enrol(self) -> None:
        if not self.enrol_button.isEnabled():
            return  # a double press while the first is on its way
        self.errors.clear()
        ctx, store = self.session.ctx, self.session.store
        url, code, name = self.server_url.text(), self.code.text(), self.pc_name.text()
        fingerprint = self.fingerprint.text() if self.enrol_form.isRowVisible(self.fingerprint) else ""
        self.enrol_button.setEnabled(False)
        run(
            self,
            lambda: enrol_this_pc(ctx, store, url, code, name, fingerprint),
            done=self._enrolled,
            failed=self._enrol_failed,
            label="Enrolling this PC...",
        )

    def _enrolled(self, result: EnrolResult) -> None:
        self.enrol_button.setEnabled(True)
        self.code.clear()
        self.fingerprint.clear()
        self.session.enrolled()
        first = f" Its {result.queued} records go up at the first sync." if result.founder else ""
        say(self.status, f"This PC is {result.short_code} ({result.name}) of {result.clinic_name}.{first}")
        self.refresh()

    def _enrol_failed(self, exc: BaseException) -> None:
        self.enrol_button.setEnabled(True)
        self.errors.show(exc)

    def sync(self) -> None:
        if not self.sync_button.isEnabled():
            return
        ctx, store = self.session.ctx, self.session.store
        self.sync_button.setEnabled(False)
        run(self, lambda: sync_now(ctx, store), done=self._synced, failed=self._sync_failed, label="Syncing...")

    def _synced(self, report: SyncReport) -> None:
        self.sync_button.setEnabled(True)
        lost = f", {report.conflicts} edits lost to later ones (below)" if report.conflicts else ""
        say(self.status, f"Synced: {report.pushed} changes sent, {report.pulled} received{lost}.")
        self.refresh()

    def _sync_failed(self, exc: BaseException) -> None:
        self.sync_button.setEnabled(True)
        say(self.status, error_text(exc), error=True)
        self.refresh()

    # --- conflicts

    def _load_conflicts(self) -> None:
        ctx, everything = self.session.ctx, self.show_resolved.isChecked()
        run(self, lambda: list_conflicts(ctx, unresolved_only=not everything), done=self._conflicts_loaded)

    def _conflicts_loaded(self, conflicts: list[ConflictView]) -> None:
        self.conflicts = {c.id: c for c in conflicts}
        rows = [
            [
                show_time(c.detected_at),
                f"{c.table_name} {str(c.row_id)[:8]}",
                edited_at(c.loser_hlc),
                edited_at(c.winner_hlc) if c.reason is None else "",
                c.reason or "a later edit on another PC",
                c.resolution or "open",
            ]
            for c in conflicts
        ]
        fill(self.conflict_table, rows, [c.id for c in conflicts])
        self._conflict_selected()

    def selected(self) -> ConflictView | None:
        key = row_key(self.conflict_table)
        return self.conflicts.get(key) if key is not None else None

    def _conflict_selected(self) -> None:
        c = self.selected()
        text = json.dumps(c.loser_values, indent=2, ensure_ascii=False) if c else ""
        if c is not None and c.reason is not None:
            text = (
                f"The server {c.reason}; this record stays on the PC that made it. Correct the clashing value "
                "there (or on the other record) and it syncs again; then mark this one kept.\n\n" + text
            )
        self.loser_values.setPlainText(text)
        self._buttons()

    def _buttons(self) -> None:
        c = self.selected()
        open_one = c is not None and c.resolved_at is None and self.resolve_allowed
        self.keep_button.setEnabled(open_one)
        self.restore_button.setEnabled(open_one)

    def resolve(self, restore: bool) -> None:
        c = self.selected()
        if c is None or c.resolved_at is not None:
            return
        ctx, conflict_id = self.session.ctx, c.id
        self.keep_button.setEnabled(False)
        self.restore_button.setEnabled(False)

        def failed(exc: BaseException) -> None:
            say(self.status, error_text(exc), error=True)
            self._buttons()

        run(
            self,
            lambda: resolve_conflict(ctx, conflict_id, restore_loser=restore),
            done=self._resolved,
            failed=failed,
            label="Saving...",
        )

    def _resolved(self, c: ConflictView) -> None:
        text = "The losing version is back (it syncs to every PC)." if c.resolution == "restored" else "Kept."
        say(self.status, text)
        self._load_conflicts()
