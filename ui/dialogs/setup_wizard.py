"""First run: the clinic, its first Super Admin, how the store is protected, and the recovery key (shown once,
with a print option). Creates the store through the same core function as ``hms init``."""

from __future__ import annotations

from typing import Any

from hms_desktop.clinic_setup import create_clinic
from hms_desktop.security.keystore import keyring_usable
from hms_desktop.services.admin.setup import AdminInput, HospitalInput
from hms_desktop.storage.keys import MIN_PASSPHRASE
from hms_desktop.storage.paths import StorePaths
from hms_desktop.validation import GST_STATE_CODES
from ui.qt import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPrintDialog,
    QPrinter,
    QPushButton,
    QTextDocument,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)
from ui.worker import error_text, run

HOSPITAL_FIELDS = {"name", "gstin", "state_code", "pincode", "phone", "email", "city", "licence_number"}


def _line(name: str, placeholder: str = "", secret: bool = False) -> QLineEdit:
    edit = QLineEdit()
    edit.setObjectName(name)
    edit.setPlaceholderText(placeholder)
    if secret:
        edit.setEchoMode(QLineEdit.EchoMode.Password)
    return edit


class SetupWizard(QWizard):
    def __init__(self, paths: StorePaths, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.paths = paths
        self.recovery_key = ""
        self.admin_email = ""
        self.created = False
        self.setWindowTitle("Set up HMS Desktop")
        self.setObjectName("setupWizard")
        self.clinic = ClinicPage()
        self.admin = AdminPage()
        self.protect = ProtectPage()
        self.finish = RecoveryPage(self)
        for page in (self.clinic, self.admin, self.protect, self.finish):
            self.addPage(page)

    def hospital(self) -> HospitalInput:
        c = self.clinic
        return HospitalInput(
            name=c.name.text(),
            city=c.city.text(),
            state_code=c.state.currentData(),
            phone=c.phone.text(),
            gstin=c.gstin.text() or None,
        )

    def admin_input(self) -> AdminInput:
        a = self.admin
        return AdminInput(a.email.text(), a.full_name.text(), a.password.text())


class ClinicPage(QWizardPage):
    def __init__(self) -> None:
        super().__init__()
        self.setTitle("Your clinic")
        self.setSubTitle("This goes on receipts, ID cards and invoices. You can change it later in Admin.")
        form = QFormLayout(self)
        self.name = _line("clinicName", "e.g. Sunrise Clinic")
        self.city = _line("clinicCity")
        self.state = QComboBox()
        self.state.setObjectName("clinicState")
        self.state.addItem("", None)
        for code, name in sorted(GST_STATE_CODES.items(), key=lambda kv: kv[1]):
            self.state.addItem(f"{name} ({code})", code)
        self.phone = _line("clinicPhone")
        self.gstin = _line("clinicGstin", "optional, 15 characters")
        for label, w in (
            ("Name *", self.name),
            ("City", self.city),
            ("State", self.state),
            ("Phone", self.phone),
            ("GSTIN", self.gstin),
        ):
            form.addRow(label, w)
        self.error = QLabel()
        self.error.setObjectName("formError")
        self.error.setWordWrap(True)
        form.addRow(self.error)
        self.name.textChanged.connect(lambda _t: self.completeChanged.emit())

    def isComplete(self) -> bool:  # noqa: N802 - Qt's name
        return bool(self.name.text().strip())


class AdminPage(QWizardPage):
    def __init__(self) -> None:
        super().__init__()
        self.setTitle("The first administrator")
        self.setSubTitle("This Super Admin creates the other staff accounts.")
        form = QFormLayout(self)
        self.full_name = _line("adminName")
        self.email = _line("adminEmail", "you@clinic.in")
        self.password = _line("adminPassword", "8 to 64 characters, not a common one", secret=True)
        self.repeat = _line("adminRepeat", secret=True)
        for label, w in (
            ("Full name", self.full_name),
            ("Email", self.email),
            ("Password", self.password),
            ("Repeat password", self.repeat),
        ):
            form.addRow(label, w)
        self.error = QLabel()
        self.error.setObjectName("formError")
        self.error.setWordWrap(True)
        form.addRow(self.error)

    def validatePage(self) -> bool:  # noqa: N802 - Qt's name
        if self.password.text() != self.repeat.text():
            self.error.setText("The two passwords differ.")
            return False
        self.error.clear()
        return True


class ProtectPage(QWizardPage):
    def __init__(self) -> None:
        super().__init__()
        self.setTitle("Protecting the data")
        form = QFormLayout(self)
        self.keyring = keyring_usable()
        self.passphrase = _line("storePassphrase", f"at least {MIN_PASSPHRASE} characters", secret=True)
        self.repeat = _line("storeRepeat", secret=True)
        if self.keyring:
            self.setSubTitle("Patients' data is encrypted with a key kept in this computer's secure keyring.")
            form.addRow(QLabel("Nothing to type here: press Create."))
        else:
            self.setSubTitle("This computer has no secure keyring: choose a passphrase that unlocks the data.")
            form.addRow("Store passphrase", self.passphrase)
            form.addRow("Repeat", self.repeat)
        self.error = QLabel()
        self.error.setObjectName("formError")
        self.error.setWordWrap(True)
        form.addRow(self.error)
        self.setButtonText(QWizard.WizardButton.NextButton, "Create")
        self.busy = False

    def setup_wizard(self) -> SetupWizard:
        """The wizard this page belongs to."""
        wizard = self.wizard()
        assert isinstance(wizard, SetupWizard)
        return wizard

    def validatePage(self) -> bool:  # noqa: N802 - Qt's name
        wizard = self.setup_wizard()
        if wizard.created:
            return True
        if not self.keyring and self.passphrase.text() != self.repeat.text():
            self.error.setText("The two passphrases differ.")
            return False
        if self.busy:
            return False
        self.busy = True
        passphrase = self.passphrase.text()
        hospital, admin = wizard.hospital(), wizard.admin_input()
        mode = "keyring" if self.keyring else "passphrase"

        def create() -> str:
            result, _ = create_clinic(
                wizard.paths, hospital, admin, key_mode=mode, passphrase_source=lambda _prompt: passphrase
            )
            result.store.close()
            return result.recovery_key

        run(self, create, done=self._created, failed=self._failed, label="Creating the encrypted store...")
        return False

    def _created(self, key: str) -> None:
        wizard = self.setup_wizard()
        self.busy = False
        wizard.recovery_key = key
        wizard.admin_email = wizard.admin.email.text().strip().lower()
        wizard.created = True
        wizard.finish.key.setText(key)
        wizard.next()

    def _failed(self, exc: BaseException) -> None:
        wizard = self.setup_wizard()
        self.busy = False
        field = getattr(exc, "field", "")
        page: Any = wizard.clinic if field in HOSPITAL_FIELDS else wizard.admin if field else self
        page.error.setText(error_text(exc))
        if page is not self:
            wizard.restart()
            while wizard.currentPage() is not page:
                wizard.next()


class RecoveryPage(QWizardPage):
    def __init__(self, wizard: SetupWizard) -> None:
        super().__init__()
        self.setTitle("Your recovery key - shown only now")
        self.setSubTitle("Backups open with this key on any computer. Print it or write it down; keep it safe.")
        box = QVBoxLayout(self)
        self.key = QLabel()
        self.key.setObjectName("recoveryKey")
        self.key.setWordWrap(True)
        self.key.setTextInteractionFlags(self.key.textInteractionFlags())
        print_button = QPushButton("Print the recovery key...")
        print_button.clicked.connect(self.print_key)
        self.confirm = QCheckBox("I have printed or written down the recovery key")
        self.confirm.setObjectName("confirmRecovery")
        self.confirm.toggled.connect(lambda _on: self.completeChanged.emit())
        for w in (self.key, print_button, self.confirm):
            box.addWidget(w)
        self.setCommitPage(True)

    def isComplete(self) -> bool:  # noqa: N802 - Qt's name
        return self.confirm.isChecked()

    def print_key(self) -> None:
        printer = QPrinter()
        if QPrintDialog(printer, self).exec():
            doc = QTextDocument()
            doc.setHtml(
                f"<h2>HMS Desktop recovery key</h2><p style='font-size:16pt'><tt>{self.key.text()}</tt></p>"
                "<p>Keep this safe. It opens the clinic's backups.</p>"
            )
            doc.print_(printer)
