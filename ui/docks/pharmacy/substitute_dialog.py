"""Giving another medicine than the one prescribed (a generic substitute): find it, say why (the note stays on
the dispensing line and in the audit trail). The service refuses a substitute without its note."""

from __future__ import annotations

from hms_desktop.services.pharmacy.stock_views import MedicineStock
from ui.docks.pharmacy.common import Facts
from ui.docks.pharmacy.medicine_pick import MedicinePick
from ui.qt import QDialog, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget, Signal
from ui.session import AppSession


class SubstituteDialog(QDialog):
    chosen = Signal(object, str)  # the Facts of the medicine given instead, the note

    def __init__(self, session: AppSession, prescribed: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Give a substitute")
        self.setMinimumWidth(560)
        self.medicine: MedicineStock | None = None
        self.pick = MedicinePick(session, "substituteSearch", self)
        self.pick.picked.connect(self._picked)
        self.choice = QLabel("Nothing chosen yet.")
        self.choice.setObjectName("substituteChoice")
        self.choice.setWordWrap(True)
        self.note = QLineEdit()
        self.note.setObjectName("substituteNote")
        self.note.setPlaceholderText("Why it is given instead (e.g. same generic, the brand is out of stock)")
        self.message = QLabel()
        self.message.setObjectName("formError")
        self.message.setWordWrap(True)
        self.message.hide()
        self.ok = QPushButton("Give this instead")
        self.ok.setObjectName("substituteOk")
        cancel = QPushButton("Cancel")
        buttons = QHBoxLayout()
        buttons.addStretch()
        for button, slot in ((self.ok, self.take), (cancel, self.reject)):
            button.setAutoDefault(False)  # Enter in the search takes a hit, never the dialog's button
            button.clicked.connect(lambda _=False, act=slot: act())
            buttons.addWidget(button)
        box = QVBoxLayout(self)
        box.addWidget(QLabel(f"Prescribed: <b>{prescribed}</b>. Give instead:"))
        box.addWidget(self.pick)
        box.addWidget(self.choice)
        box.addWidget(QLabel("Note"))
        box.addWidget(self.note)
        box.addWidget(self.message)
        box.addLayout(buttons)
        self.note.returnPressed.connect(self.take)

    def _picked(self, m: MedicineStock) -> None:
        self.medicine = m
        self.choice.setText(f"Give <b>{Facts.of(m).label}</b>")
        self.note.setFocus()

    def take(self) -> None:
        if self.medicine is None:
            self.message.setText("Find the medicine to give instead.")
        elif not self.note.text().strip():
            self.message.setText("Note why it is given instead of what was prescribed.")
        else:
            self.chosen.emit(Facts.of(self.medicine), self.note.text().strip())
            self.accept()
            return
        self.message.show()
