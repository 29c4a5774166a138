"""The open patient's documents (add, view) and consents (record)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hms_desktop.services.reception.patient_records import (
    CONSENT_TYPES,
    DOCUMENT_TYPES,
    ConsentInput,
    add_document,
    list_consents,
    list_documents,
    open_document,
    record_consent,
)
from ui import clinic_time
from ui.qt import (
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QImage,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPixmap,
    QPushButton,
    QScrollArea,
    Qt,
    QVBoxLayout,
    QWidget,
)
from ui.session import AppSession
from ui.worker import run


class RecordsPanel(QWidget):
    def __init__(self, session: AppSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.patient: Any = None
        self.docs = QListWidget()
        self.docs.setObjectName("documents")
        self.docs.itemActivated.connect(self.view_document)
        self.doc_type = QComboBox()
        self.doc_type.addItems(list(DOCUMENT_TYPES))
        add = QPushButton("Add document...")
        add.setObjectName("addDocument")
        add.clicked.connect(self.choose_document)
        self.consents = QListWidget()
        self.consents.setObjectName("consents")
        self.consent_type = QComboBox()
        self.consent_type.addItems(list(CONSENT_TYPES))
        self.consent_version = QLineEdit("2026.1")
        self.signer = QLineEdit()
        self.signer.setPlaceholderText("signed by (patient or guardian)")
        self.relation = QLineEdit()
        self.relation.setPlaceholderText("guardian's relation, if a guardian signs")
        sign = QPushButton("Record consent")
        sign.setObjectName("recordConsent")
        sign.clicked.connect(self.sign)
        self.message = QLabel()
        self.message.setObjectName("formError")
        box = QVBoxLayout(self)
        box.addWidget(QLabel("Documents (PDF, JPEG, PNG up to 10 MB; double-click to view)"))
        box.addWidget(self.docs)
        row = QHBoxLayout()
        row.addWidget(self.doc_type)
        row.addWidget(add)
        box.addLayout(row)
        box.addWidget(QLabel("Consents"))
        box.addWidget(self.consents)
        form = QFormLayout()
        form.addRow("Type", self.consent_type)
        form.addRow("Form version", self.consent_version)
        form.addRow("Signer", self.signer)
        form.addRow("Relation", self.relation)
        box.addLayout(form)
        box.addWidget(sign)
        box.addWidget(self.message)

    def set_patient(self, patient: Any) -> None:
        self.patient = patient
        self.signer.setText(patient.full_name if patient else "")
        self.refresh()

    def refresh(self) -> None:
        if self.patient is None:
            return
        ctx, pid = self.session.ctx, self.patient.id
        run(self, lambda: (list_documents(ctx, pid), list_consents(ctx, pid)), done=self._show)

    def _show(self, result: tuple[list[Any], list[Any]]) -> None:
        docs, consents = result
        self.docs.clear()
        for d in docs:
            item = QListWidgetItem(f"{d.doc_type}: {d.file_name} ({d.size_bytes // 1024} KB)")
            item.setData(Qt.ItemDataRole.UserRole, d.id)
            self.docs.addItem(item)
        self.consents.clear()
        for c in consents:
            when = clinic_time.local(c.withdrawn_at or c.signed_at)  # a UTC instant: its day in the clinic
            state = f"withdrawn {when:%d-%m-%Y}" if c.withdrawn_at else f"signed {when:%d-%m-%Y}"
            self.consents.addItem(f"{c.consent_type} v{c.version} by {c.signer_name}: {state}")

    def choose_document(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Attach a document", "", "Documents (*.pdf *.jpg *.jpeg *.png)")
        if path:
            self.attach(Path(path))

    def attach(self, path: Path, *, aadhaar_is_masked: bool = False) -> None:
        if self.patient is None:
            return
        ctx, pid, kind = self.session.ctx, self.patient.id, self.doc_type.currentText()
        content = path.read_bytes()[: 10 * 1024 * 1024 + 1]
        run(
            self,
            lambda: add_document(ctx, pid, path.name, content, kind, aadhaar_is_masked=aadhaar_is_masked),
            done=lambda _d: self.refresh(),
            failed=lambda e: self.message.setText(str(e)),
        )

    def sign(self) -> None:
        if self.patient is None:
            return
        relation = self.relation.text().strip()
        data = ConsentInput(
            self.patient.id,
            self.consent_type.currentText(),
            self.consent_version.text(),
            self.signer.text(),
            "guardian" if relation else "patient",
            relation or None,
        )
        run(
            self,
            record_consent,
            self.session.ctx,
            data,
            done=lambda _c: self.refresh(),
            failed=lambda e: self.message.setText(str(e)),
        )

    def view_document(self, item: QListWidgetItem) -> None:
        run(self, open_document, self.session.ctx, item.data(Qt.ItemDataRole.UserRole), done=self._viewer)

    def _viewer(self, result: tuple[Any, bytes]) -> None:
        info, content = result
        from ui.print_preview import pdf_page_images

        images = pdf_page_images(content, 110) if info.mime_type == "application/pdf" else [QImage.fromData(content)]
        dialog = QDialog(self)
        dialog.setWindowTitle(info.file_name)
        inner = QWidget()
        col = QVBoxLayout(inner)
        for image in images:
            label = QLabel()
            label.setPixmap(QPixmap.fromImage(image).scaledToWidth(800, Qt.TransformationMode.SmoothTransformation))
            col.addWidget(label)
        scroll = QScrollArea(dialog)
        scroll.setWidget(inner)
        QVBoxLayout(dialog).addWidget(scroll)
        dialog.resize(860, 900)
        dialog.show()
