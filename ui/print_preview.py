"""Print preview and printing of a PDF made by the core (ID card, receipt, invoice): the pages are rendered
with pdfium at the printer's resolution and painted on its pages (Qt's PDF module is not in PySide6-Essentials)."""

from __future__ import annotations

from hms_desktop.printing.render import pdf_to_images
from ui.qt import QImage, QPainter, QPrinter, QPrintPreviewDialog, QRectF, QWidget


def pdf_page_images(pdf: bytes, dpi: int) -> list[QImage]:
    images = []
    for page in pdf_to_images(pdf, dpi=dpi):
        rgb = page.convert("RGB")
        data = rgb.tobytes("raw", "RGB")
        images.append(QImage(data, rgb.width, rgb.height, 3 * rgb.width, QImage.Format.Format_RGB888).copy())
    return images


def paint_pdf(printer: QPrinter, pdf: bytes) -> int:
    """Paint every page of ``pdf`` on ``printer``; returns the number of pages."""
    dpi = max(150, min(600, printer.resolution()))
    images = pdf_page_images(pdf, dpi)
    painter = QPainter(printer)
    try:
        for i, image in enumerate(images):
            if i:
                printer.newPage()
            target = QRectF(printer.pageRect(QPrinter.Unit.DevicePixel))
            target.moveTo(0, 0)
            painter.drawImage(target, image)
    finally:
        painter.end()
    return len(images)


def preview_pdf(
    parent: QWidget | None, pdf: bytes, title: str, page_size_mm: tuple[float, float] | None = None
) -> None:
    """Show the print preview; from there the user prints on the local printer."""
    from ui.qt import QMarginsF, QPageLayout, QPageSize, QSizeF

    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setDocName(title)
    if page_size_mm is not None:
        size = QPageSize(QSizeF(*page_size_mm), QPageSize.Unit.Millimeter, title)
        orientation = (
            QPageLayout.Orientation.Landscape if page_size_mm[0] > page_size_mm[1] else QPageLayout.Orientation.Portrait
        )
        printer.setPageLayout(QPageLayout(size, orientation, QMarginsF(0, 0, 0, 0)))
    dialog = QPrintPreviewDialog(printer, parent)
    dialog.setWindowTitle(f"Print preview - {title}")
    dialog.paintRequested.connect(lambda p: paint_pdf(p, pdf))
    dialog.exec()
