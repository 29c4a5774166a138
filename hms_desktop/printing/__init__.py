"""PDF documents for printing (reportlab). Rasterising for preview lives in `hms_desktop.printing.render`."""

from hms_desktop.printing.id_card import IdCardData, render_id_card

__all__ = ["IdCardData", "render_id_card"]
