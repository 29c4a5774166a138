"""Rasterise PDFs with pypdfium2 (tests decode the symbols from these; the print preview will show them).

`PdfPage.render(scale=...)` stretches the page to a whole number of pixels (ceil of size x scale), which shifts every
edge by a fraction of a pixel: barcode bars placed on the printer's dot grid then gain a dot. We render with an exact
dpi/72 matrix instead, so pixel N is exactly N/dpi inch from the page's top-left corner, as on the printer.
"""

from __future__ import annotations

import math

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image

_WHITE = (255, 255, 255, 255)


def _render_page(page: pdfium.PdfPage, dpi: int) -> Image.Image:
    scale = dpi / 72
    if page.get_rotation() % 360:  # rotated pages: let pdfium apply /Rotate (our documents never set it)
        return page.render(scale=scale, fill_color=_WHITE).to_pil().convert("RGB")
    width_pt, height_pt = page.get_size()
    width = max(1, math.ceil(width_pt * scale - 1e-6))
    height = max(1, math.ceil(height_pt * scale - 1e-6))
    bitmap = pdfium.PdfBitmap.new_native(width, height, pdfium_c.FPDFBitmap_BGR)
    bitmap.fill_rect(_WHITE, 0, 0, width, height)
    matrix = pdfium.PdfMatrix().scale(scale, scale).to_raw()
    clip = pdfium_c.FS_RECTF(0, 0, width, height)
    pdfium_c.FPDF_RenderPageBitmapWithMatrix(bitmap, page, matrix, clip, pdfium_c.FPDF_ANNOT)
    return bitmap.to_pil().convert("RGB")


def pdf_to_images(pdf: bytes, dpi: int = 300) -> list[Image.Image]:
    """Render every page of `pdf` to an RGB image at exactly `dpi` (white background, anti-aliased like a viewer)."""
    if dpi <= 0:
        raise ValueError("dpi must be positive")
    doc = pdfium.PdfDocument(pdf)
    try:
        images: list[Image.Image] = []
        for index in range(len(doc)):
            page = doc[index]
            try:
                image = _render_page(page, dpi)
            finally:
                page.close()
            image.info["dpi"] = (dpi, dpi)
            images.append(image)
        return images
    finally:
        doc.close()
