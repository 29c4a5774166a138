"""Change your own password; optionally end your other sessions.

``forced``: the user signed in with a temporary password (a new account, an administrator's reset). The
services refuse everything else until it is changed, so this dialog comes before the main window; Cancel signs
out."""

from __future__ import annotations

from hms_desktop.services.admin import auth
from ui.forms import FieldErrors
from ui.qt import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)
from ui.session import AppSession
from ui.worker import run


class ChangePasswordDialog(QDialog):
    def __init__(self, session: AppSession, parent: QWidget | None = None, *, forced: bool = False) -> None:
        super().__init__(parent)
        self.session = session
        self.forced = forced
        self.setWindowTitle("Set your own password" if forced else "Change password")
        box = QVBoxLayout(self)
        if forced:
            intro = QLabel(
                "You signed in with a temporary password. Choose your own before you go on: nobody else, "
                "the administrator included, should know it."
            )
            intro.setWordWrap(True)
            intro.setObjectName("forcedIntro")
            box.addWidget(intro)
            self.setMinimumWidth(460)
        form = QFormLayout()
        self.current = QLineEdit()
        self.new = QLineEdit()
        self.repeat = QLineEdit()
        for w in (self.current, self.new, self.repeat):
            w.setEchoMode(QLineEdit.EchoMode.Password)
        form.addRow("Temporary password" if forced else "Current password", self.current)
        form.addRow("New password", self.new)
        form.addRow("Repeat new password", self.repeat)
        self.end_others = QCheckBox("Sign out my other sessions (recommended)")
        self.end_others.setChecked(True)
        general = QLabel()
        box.addWidget(general)
        box.addLayout(form)
        box.addWidget(self.end_others)
        self.errors = FieldErrors(form, {"current_password": self.current, "new_password": self.new}, general)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        if forced:
            buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("Sign out")
            self.end_others.hide()
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)
        box.addWidget(buttons)

    def submit(self) -> None:
        from hms_desktop.errors import ValidationError

        if self.new.text() != self.repeat.text():
            self.errors.show(ValidationError("new_password", "The two new passwords differ."))
            return
        ctx, current, new, end = self.session.ctx, self.current.text(), self.new.text(), self.end_others.isChecked()
        run(
            self,
            lambda: auth.change_password(ctx, current, new, end_other_sessions=end),
            done=self._done,
            failed=self.errors.show,
        )

    def _done(self, ended: int) -> None:
        if self.forced:
            self.session.password_changed()
            self.accept()  # the main window opens next
            return
        QMessageBox.information(self, "Password changed", f"Your password was changed. {ended} other session(s) ended.")
        self.accept()
