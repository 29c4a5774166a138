"""Two boxes of the Settings tab: the clinic's logo (choose a PNG or JPEG, see a preview) and the mail server
password (write-only: it goes to the key store and is never read back or shown)."""

from __future__ import annotations

from pathlib import Path

from hms_desktop.services.admin.hospital import set_logo, set_smtp_password
from ui.docks.admin.common import button, line, message_label, row_of, say
from ui.qt import QFileDialog, QGroupBox, QLabel, QLineEdit, QPixmap, Qt, QVBoxLayout
from ui.session import AppSession
from ui.worker import run

PREVIEW = (240, 96)


def _text(exc: BaseException) -> str:
    if isinstance(exc, OSError):
        return f"That file could not be read ({exc.strerror or exc})."
    return getattr(exc, "message", str(exc))


class LogoBox(QGroupBox):
    def __init__(self, session: AppSession) -> None:
        super().__init__("Logo (printed on cards, receipts and invoices)")
        self.session = session
        self.preview = QLabel("No logo yet.")
        self.preview.setObjectName("logoPreview")
        self.preview.setMinimumHeight(PREVIEW[1])
        self.choose_button = button("Choose logo...", "chooseLogo", self.choose)
        self.choose_button.setVisible(session.can("settings.manage"))
        self.message = message_label("logoMessage")
        box = QVBoxLayout(self)
        box.addLayout(row_of(self.preview, self.choose_button))
        box.addWidget(self.message)

    def show_logo(self, data: bytes | None) -> None:
        pixmap = QPixmap()
        if data and pixmap.loadFromData(data):
            self.preview.setPixmap(pixmap.scaled(*PREVIEW, Qt.AspectRatioMode.KeepAspectRatio))
        else:
            self.preview.clear()
            self.preview.setText("No logo yet.")

    def choose(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(self, "Choose the clinic's logo", "", "Images (*.png *.jpg *.jpeg)")
        if path:
            self.upload(Path(path))

    def upload(self, path: Path) -> None:
        ctx = self.session.ctx

        def write() -> bytes:
            data = path.read_bytes()
            set_logo(ctx, data)
            return data

        def done(data: bytes) -> None:
            self.show_logo(data)
            say(self.message, "Logo saved.")

        run(
            self,
            write,
            done=done,
            failed=lambda exc: say(self.message, _text(exc), error=True),
            label="Saving the logo...",
        )


class MailPasswordBox(QGroupBox):
    def __init__(self, session: AppSession) -> None:
        super().__init__("Mail server password (kept in the key store; never shown)")
        self.session = session
        self.password = line("smtpPassword", "type it to set or replace it", self.set_password)
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.set_button = button("Set", "setSmtpPassword", self.set_password)
        self.message = message_label("smtpPasswordMessage")
        box = QVBoxLayout(self)
        box.addLayout(row_of(self.password, self.set_button, stretch=False))
        box.addWidget(self.message)
        self.setVisible(session.can("settings.manage"))

    def set_password(self) -> None:
        ctx, secret = self.session.ctx, self.password.text()
        self.password.clear()  # the secret does not stay in the widget
        run(
            self,
            lambda: set_smtp_password(ctx, secret),
            done=lambda _r: say(self.message, "Mail password saved."),
            failed=lambda exc: say(self.message, _text(exc), error=True),
        )
