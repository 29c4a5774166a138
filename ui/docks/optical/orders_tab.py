"""The Optical dock's Orders tab: the day's board of orders by status (``board``), a new order (``order_form``),
one order's detail with its steps and printouts (``order_detail``), and a saved draft edited in the order form
(``order_edit``), one page at a time so each has the whole width of a 1366 x 768 screen.

The board opens an order (Enter or a double click on its card, or its code typed or scanned in the find field)
and starts a new one (Alt+N); a saved order opens on its detail, where a draft's Edit draft (Ctrl+E) opens the
editor; Esc goes back to the board from the form or the detail, and from the editor back to the draft with
nothing changed. A half-filled new order is kept when the board is shown again (a draft is edited in a form of
its own): nothing typed is lost. Writing needs ``optical.orders`` (the tab is offered on it); reading the
board, the orders and the printouts ``optical.view``.
"""

from __future__ import annotations

import uuid

from hms_desktop.services.optical.order_views import OrderView
from ui.docks.optical.board import Board
from ui.docks.optical.order_detail import OrderDetail
from ui.docks.optical.order_edit import DraftEditor, DraftToEdit
from ui.docks.optical.order_form import OrderForm
from ui.qt import QVBoxLayout, QWidget
from ui.session import AppSession


class OrdersTab(QWidget):
    def __init__(self, session: AppSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.board = Board(session)
        self.form = OrderForm(session)
        self.detail = OrderDetail(session)
        self.editor = DraftEditor(session)
        self.pages: tuple[QWidget, ...] = (self.board, self.form, self.detail, self.editor)
        self.board.opened.connect(self.open_order)
        self.board.new_order.connect(self.new_order)
        self.form.back.connect(self.show_board)
        self.form.saved.connect(self._saved)
        self.detail.back.connect(self.show_board)
        self.detail.edit.connect(self.edit_draft)
        self.editor.back.connect(self.back_to_draft)
        self.editor.saved.connect(self._saved)
        box = QVBoxLayout(self)
        box.setContentsMargins(4, 4, 4, 4)
        for page in self.pages:
            box.addWidget(page)
        self.show_page(self.board)

    def show_page(self, page: QWidget) -> None:
        """One page at a time (the others hidden: a hidden page does not refresh itself)."""
        for other in self.pages:
            if other is not page:
                other.hide()
        page.show()

    def show_board(self) -> None:
        self.show_page(self.board)
        self.board.search.setFocus()

    def new_order(self) -> None:
        if not self.session.can("optical.orders"):
            return
        self.show_page(self.form)
        self.form.start()

    def open_order(self, order_id: uuid.UUID, message: str = "") -> None:
        self.detail.show_order(order_id, message)
        self.show_page(self.detail)
        self.detail.back_to_board.setFocus()  # Esc works at once; the next step takes the keys once read

    def edit_draft(self, draft: DraftToEdit) -> None:
        if not self.session.can("optical.orders"):
            return
        self.editor.load(draft)  # filled while hidden: the lens list is read once, when it shows
        self.show_page(self.editor)
        self.editor.start()

    def back_to_draft(self) -> None:
        """The draft's page as it was (nothing typed in the editor is saved)."""
        self.show_page(self.detail)
        self.detail.edit_button.setFocus()

    def _saved(self, view: OrderView, message: str) -> None:
        """The order just saved, on its detail page with the keys on its next step (Confirm, Send to lab)."""
        self.show_page(self.detail)
        self.detail.show_view(view, message)

    def current(self) -> QWidget:
        return next(p for p in self.pages if not p.isHidden())
