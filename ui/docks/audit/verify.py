"""Verify the trail's hash chains and show the result: OK with the row count, or each problem found."""

from __future__ import annotations

from hms_desktop.audit.verify import VerifyReport
from hms_desktop.services.admin.audit_trail import verify_audit
from ui.qt import QHBoxLayout, QLabel, QListWidget, QPushButton, QVBoxLayout, QWidget
from ui.session import AppSession
from ui.worker import error_text, run


class VerifyPanel(QWidget):
    def __init__(self, session: AppSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.button = QPushButton("&Verify trail")
        self.button.setObjectName("verifyAudit")
        self.button.setToolTip("Check every row against its hash chain: finds edited, deleted and inserted rows.")
        self.button.clicked.connect(self.verify)
        self.result = QLabel()
        self.result.setObjectName("verifyResult")
        self.result.setWordWrap(True)
        self.problems = QListWidget()
        self.problems.setObjectName("verifyProblems")
        self.problems.hide()
        row = QHBoxLayout()
        row.addWidget(self.button)
        row.addWidget(self.result, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.problems)

    def verify(self) -> None:
        ctx = self.session.ctx
        self.button.setEnabled(False)
        self.result.setStyleSheet("")
        self.result.setText("Verifying...")
        run(self, lambda: verify_audit(ctx), done=self.show_report, failed=self._failed, label="Verifying the trail...")

    def show_report(self, report: VerifyReport) -> None:
        self.button.setEnabled(True)
        self.problems.clear()
        chains = f"{report.chains} chain" + ("" if report.chains == 1 else "s")
        if report.ok:
            self.result.setStyleSheet("color: #1b5e20; font-weight: bold;")
            self.result.setText(f"Trail OK: {report.rows} rows in {chains} verified, nothing changed.")
            self.problems.hide()
            return
        count = len(report.problems)
        self.result.setStyleSheet("color: #b71c1c; font-weight: bold;")
        self.result.setText(f"{count} problem{'' if count == 1 else 's'} found in {report.rows} rows ({chains}):")
        for p in report.problems:
            self.problems.addItem(f"{p.kind.upper()}: {p.message}")
        self.problems.show()

    def _failed(self, exc: BaseException) -> None:
        self.button.setEnabled(True)
        self.result.setStyleSheet("color: #b71c1c;")
        self.result.setText(error_text(exc))
