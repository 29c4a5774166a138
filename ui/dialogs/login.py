"""Sign in: email and password, Enter submits; "Forgot password?" sends a reset code by email."""

from __future__ import annotations

from ui.qt import (
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from ui.session import AppSession
from ui.worker import error_text, run


class LoginDialog(QDialog):
    def __init__(self, session: AppSession, parent: QWidget | None = None, hint: str = "") -> None:
        super().__init__(parent)
        self.session = session
        self.setWindowTitle("Sign in - HMS Desktop")
        self.setObjectName("loginDialog")
        self.setMinimumWidth(480)
        box = QVBoxLayout(self)
        box.setSizeConstraint(QLayout.SizeConstraint.SetMinimumSize)
        title = QLabel("HMS Desktop")
        title.setObjectName("loginTitle")
        box.addWidget(title)
        if hint:
            note = QLabel(hint)
            note.setObjectName("hint")
            note.setWordWrap(True)
            box.addWidget(note)
        form = QFormLayout()
        self.email = QLineEdit()
        self.email.setObjectName("email")
        self.email.setPlaceholderText("you@clinic.in")
        self.password = QLineEdit()
        self.password.setObjectName("password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        form.addRow("Email", self.email)
        form.addRow("Password", self.password)
        box.addLayout(form)
        self.error = QLabel()
        self.error.setObjectName("formError")
        self.error.setWordWrap(True)
        self.error.hide()
        box.addWidget(self.error)
        # Plain buttons, none of them default: Enter is handled per field (email -> password -> sign in), so
        # Enter in the email field cannot sign in with an empty password.
        self.sign_in = QPushButton("Sign in")
        self.sign_in.setObjectName("signIn")
        forgot = QPushButton("Forgot password?")
        forgot.setFlat(True)
        cancel = QPushButton("Cancel")
        buttons = QHBoxLayout()
        for b in (self.sign_in, forgot, cancel):
            b.setAutoDefault(False)
            buttons.addWidget(b)
        cancel.clicked.connect(self.reject)
        self.sign_in.clicked.connect(self.submit)
        forgot.clicked.connect(self.forgot)
        self.password.returnPressed.connect(self.submit)
        self.email.returnPressed.connect(self.password.setFocus)
        box.addLayout(buttons)
        self.email.setFocus()

    def submit(self) -> None:
        self.sign_in.setEnabled(False)
        self.error.hide()
        run(
            self,
            self.session.login,
            self.email.text(),
            self.password.text(),
            done=self._ok,
            failed=self._failed,
            label="Signing in...",
        )

    def _ok(self, _tokens: object) -> None:
        self.password.clear()
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self.sign_in.setEnabled(True)
        self.password.clear()
        self.password.setFocus()
        self.error.setText(error_text(exc))
        self.error.show()

    def forgot(self) -> None:
        from ui.dialogs.reset_password import ResetPasswordDialog

        ResetPasswordDialog(self.session, self, self.email.text()).exec()
