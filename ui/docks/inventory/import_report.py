"""The item-master import's report: how many rows were added, skipped (already in the catalogue) and refused, the
columns the import did not know, and a table of every skipped or refused row with its reason."""

from __future__ import annotations

from hms_desktop.services.pharmacy.catalog_import import ImportReport
from ui.docks.admin.common import table
from ui.docks.inventory.stock_common import cell
from ui.qt import QDialog, QDialogButtonBox, QHeaderView, QLabel, QVBoxLayout, QWidget

OUTCOME_WORDS = {"added": "Added", "skipped": "Skipped", "refused": "Refused"}
COLUMNS = ("Row", "Outcome", "Brand", "Code", "Reason")


def summary_text(report: ImportReport) -> str:
    n = len(report.rows)
    return (f"{n} row{'s' if n != 1 else ''} read: {report.added} added, {report.skipped} skipped "
            f"(already in the catalogue), {report.refused} refused.")  # fmt: skip


class ImportReportDialog(QDialog):
    def __init__(self, report: ImportReport, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.report = report
        self.setWindowTitle(f"Item master import: {report.filename}")
        self.summary = QLabel(f"<b>{summary_text(report)}</b>")
        self.summary.setObjectName("importSummary")
        self.summary.setWordWrap(True)
        self.ignored = QLabel(
            "Columns left out (not known to the import): " + ", ".join(report.ignored_columns)
            if report.ignored_columns
            else ""
        )
        self.ignored.setWordWrap(True)
        self.ignored.setVisible(bool(report.ignored_columns))
        problems = [r for r in report.rows if r.outcome != "added"]
        self.table = table("importProblems", COLUMNS)
        self.table.horizontalHeader().setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        self.table.setWordWrap(True)
        self.table.setRowCount(len(problems))
        for r, row in enumerate(problems):
            cells = (cell(str(row.row), right=True), cell(OUTCOME_WORDS.get(row.outcome, row.outcome)),
                     cell(row.name), cell(row.code or ""), cell(row.reason))  # fmt: skip
            for c, item in enumerate(cells):
                item.setToolTip(row.reason)
                self.table.setItem(r, c, item)
        self.table.resizeRowsToContents()
        self.table.setVisible(bool(problems))
        note = QLabel("Every row below was left out; correct them in the file and import it again." if problems
                      else "Every row was added.")  # fmt: skip
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        box = QVBoxLayout(self)
        box.addWidget(self.summary)
        box.addWidget(self.ignored)
        box.addWidget(note)
        box.addWidget(self.table, 1)
        box.addWidget(buttons)
        self.resize(900, 420 if problems else 160)
