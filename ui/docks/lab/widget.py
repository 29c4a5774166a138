"""The Lab dock: the worklist on the left, the chosen order on the right (collect, enter, verify, report).

Enter in the worklist opens the order's first value cell (or its Collect button); an action on the right
leaves the order on the right even when the filter no longer lists it, so a technician who collects a
sample goes straight on to its values.
"""

from __future__ import annotations

from typing import Any

from ui.docks.lab.result_panel import ResultPanel
from ui.docks.lab.worklist import Worklist
from ui.qt import QLabel, QSplitter, Qt, QVBoxLayout, QWidget


class LabDock(QWidget):
    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.window_ = window
        self.session = window.session
        self.worklist = Worklist(self.session)
        self.panel = ResultPanel(self.session)
        self.worklist.chosen.connect(self.panel.show_order)
        self.worklist.table.activated.connect(lambda _index: self.panel.focus_first_value())
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.worklist)
        split.addWidget(self.panel)
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 3)
        split.setSizes([640, 720])
        box = QVBoxLayout(self)
        if not self.session.can("lab.view"):
            box.addWidget(QLabel("Your role may work on lab results but not read the worklist (lab.view)."))
        box.addWidget(split)
