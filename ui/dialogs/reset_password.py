"""Forgotten password: ask for a code by email, then set a new password with it."""

from __future__ import annotations

from hms_desktop.services.admin import auth
from ui.qt import QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget
from ui.session import AppSession
from ui.worker import error_text, run


class ResetPasswordDialog(QDialog):
    def __init__(self, session: AppSession, parent: QWidget | None, email: str = "") -> None:
        super().__init__(parent)
        self.session = session
        self.setWindowTitle("Reset password")
        box = QVBoxLayout(self)
        self.info = QLabel("We will email a one-time code to the address of your account.")
        self.info.setWordWrap(True)
        box.addWidget(self.info)
        form = QFormLayout()
        self.email = QLineEdit(email)
        self.code = QLineEdit()
        self.new = QLineEdit()
        self.new.setEchoMode(QLineEdit.EchoMode.Password)
        form.addRow("Email", self.email)
        form.addRow("Code from the email", self.code)
        form.addRow("New password", self.new)
        box.addLayout(form)
        self.error = QLabel()
        self.error.setObjectName("formError")
        self.error.setWordWrap(True)
        box.addWidget(self.error)
        buttons = QDialogButtonBox()
        send = buttons.addButton("Send code", QDialogButtonBox.ButtonRole.ActionRole)
        reset = buttons.addButton("Set password", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        send.clicked.connect(self.send)
        reset.clicked.connect(self.reset)
        box.addWidget(buttons)

    def send(self) -> None:
        sent = "If the address has an account, a code is on its way (valid 30 minutes)."
        run(
            self,
            auth.request_password_reset,
            self.session.base,
            self.email.text(),
            done=lambda _r: self._sent(sent),
            failed=lambda e: self.error.setText(error_text(e)),  # no email set up; a PC that syncs
        )

    def _sent(self, sent: str) -> None:
        self.error.setText("")
        self.info.setText(sent)

    def reset(self) -> None:
        run(
            self,
            auth.reset_password,
            self.session.base,
            self.code.text(),
            self.new.text(),
            done=lambda _r: self.accept(),
            failed=lambda e: self.error.setText(error_text(e)),
        )
