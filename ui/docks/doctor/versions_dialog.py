"""Two versions of a prescription side by side: each version's header and lines, and what changed between
them (fields, lines added, removed, changed), with who saved each and the reason of an amendment."""

from __future__ import annotations

import uuid
from html import escape

from hms_desktop.services.clinical.prescription_versions import VersionDiff, VersionView, compare_versions, versions
from hms_desktop.services.clinical.prescription_views import PrescriptionItemView
from ui import clinic_time
from ui.qt import QComboBox, QDialog, QHBoxLayout, QLabel, QTextBrowser, QVBoxLayout, QWidget
from ui.session import AppSession
from ui.worker import run


def line_text(i: PrescriptionItemView) -> str:
    days = f", {i.duration_days} days" if i.duration_days else ""
    food = f", {i.food_timing_label}" if i.food_timing_label else ""
    note = f" ({i.instructions})" if i.instructions else ""
    return f"{i.medicine_name} {i.strength}: {i.dosage} {i.frequency}{days}{food}{note}"


def version_html(v: VersionView) -> str:
    when = clinic_time.local(v.saved_at)
    lines = "".join(f"<li>{escape(line_text(i))}</li>" for i in v.items)
    reason = f"<p><b>Reason:</b> {escape(v.change_reason)}</p>" if v.change_reason else ""
    kind = " (amendment)" if v.is_amendment else ""
    follow = f"{v.follow_up_date:%d %b %Y}" if v.follow_up_date else "none"
    return (
        f"<h3>Version {v.version}{kind}</h3><p>{when:%d %b %Y %H:%M} by {escape(v.saved_by_name)}</p>{reason}"
        f"<p><b>Diagnosis:</b> {escape(v.diagnosis)}</p><ol>{lines}</ol>"
        f"<p><b>Advice:</b> {escape(v.advice)}</p><p><b>Follow-up:</b> {follow}</p>"
    )


def diff_html(d: VersionDiff) -> str:
    out = [f"<h3>Changes from version {d.older.version} to {d.newer.version}</h3><ul>"]
    out += [f"<li>{escape(c.field.replace('_', ' '))}: {escape(str(c.before))} &rarr; {escape(str(c.after))}</li>"
            for c in d.header]  # fmt: skip
    out += [f"<li style='color:#1b5e20'>added: {escape(line_text(i))}</li>" for i in d.added]
    out += [f"<li style='color:#b00020'>removed: {escape(line_text(i))}</li>" for i in d.removed]
    for c in d.changed:
        fields = ", ".join(f"{f.field.replace('_', ' ')} {f.before} &rarr; {f.after}" for f in c.fields)
        out.append(f"<li>{escape(c.after.medicine_name)}: {escape(fields)}</li>")
    if len(out) == 1:
        out.append("<li>no difference</li>")
    return "".join(out) + "</ul>"


class VersionsDialog(QDialog):
    def __init__(self, session: AppSession, rx_id: uuid.UUID, code: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.rx_id = rx_id
        self.setWindowTitle(f"Versions of {code}")
        self.resize(1100, 640)
        self.left_pick, self.right_pick = QComboBox(), QComboBox()
        self.left, self.right, self.changes = QTextBrowser(), QTextBrowser(), QTextBrowser()
        self.left.setObjectName("olderVersion")
        self.right.setObjectName("newerVersion")
        self.changes.setObjectName("versionChanges")
        self.changes.setMaximumHeight(170)
        picks = QHBoxLayout()
        picks.addWidget(QLabel("Compare"))
        picks.addWidget(self.left_pick)
        picks.addWidget(QLabel("with"))
        picks.addWidget(self.right_pick)
        picks.addStretch()
        sides = QHBoxLayout()
        sides.addWidget(self.left)
        sides.addWidget(self.right)
        box = QVBoxLayout(self)
        box.addLayout(picks)
        box.addLayout(sides, 1)
        box.addWidget(self.changes)
        self.left_pick.currentIndexChanged.connect(lambda _i: self.compare())
        self.right_pick.currentIndexChanged.connect(lambda _i: self.compare())
        run(self, versions, session.ctx, rx_id, done=self._versions)

    def _versions(self, found: list[VersionView]) -> None:
        for pick in (self.left_pick, self.right_pick):
            pick.blockSignals(True)
            for v in found:
                pick.addItem(f"Version {v.version}", v.version)
            pick.blockSignals(False)
        self.left_pick.setCurrentIndex(max(0, len(found) - 2))
        self.right_pick.setCurrentIndex(len(found) - 1)
        self.compare()

    def compare(self) -> None:
        a, b = self.left_pick.currentData(), self.right_pick.currentData()
        if a is None or b is None:
            return
        run(self, compare_versions, self.session.ctx, self.rx_id, a, b, done=self._show)

    def _show(self, d: VersionDiff) -> None:
        self.left.setHtml(version_html(d.older))
        self.right.setHtml(version_html(d.newer))
        self.changes.setHtml(diff_html(d))
