"""PDF documents: text through PDFium (pypdfium2), pdfminer.six as fallback, OCR for
image-only pages.

Speed: pypdfium2 (PDFium, C++) is the main backend. Measured on this machine (2 shared,
busy cores) over generated reportlab PDFs of 45 lines of Norwegian text per page:
1 page pypdfium2 0.013 s vs pdfminer.six ``extract_text`` 0.14 s (11x); 20 pages 0.094 s
vs 3.1 s (33x); 200 pages 1.5 s vs 27 s (18x), the same text within 1%.
pdfminer.six is kept as a fallback for files PDFium cannot open
that pdfminer can (its repair of broken xref tables differs).

Per page (``side N``) the text layer is read; a page with almost no text (under 16
visible characters) but with image objects is a scan and goes to OCR: rendered at the
scan's own resolution (120-150 dpi, 150 when unknown) in grayscale (capped at ~40
megapixels; a page that is nothing but one full-page image is read from that image
instead, see :func:`scanned_page`), one page at a time, through tesseract with ``nor`` (see ocr.py). Without OCR (``--no-ocr`` or no tesseract) such a page gives
``Gap("side N", "unavailable: OCR ...")``; it is never skipped silently.

Errors: a PDF that needs a user password is ``encrypted: password required``; one with
only an owner password (permissions) opens without a password and is read normally.
Garbage or a file both backends reject is ``corrupt``. A file whose end (``%%EOF``) is
missing is read as far as it goes and also reported as a truncated part, so the damage
is not hidden by what could be read.
"""

from __future__ import annotations

import ctypes
import math
from collections.abc import Iterator
from typing import Any

from pvscan import hookimpl
from pvscan.interfaces import Extractor
from pvscan.model import (
    CorruptError,
    EncryptedError,
    Extracted,
    Gap,
    ItemData,
    Segment,
    Settings,
    Unscannable,
)
from pvscan.plugins._docutil import require_content

from .ocr import MAX_PIXELS, ocr_image, ocr_unavailable

#: A page with fewer visible characters than this and some image is treated as a scan.
MIN_TEXT_CHARS = 16
#: Render resolution for OCR: the resolution of the page's largest scanned image, kept
#: between these bounds; the upper one when the image's resolution is unknown. 150 dpi
#: is what Tesseract needs for body text (an x-height of ~15 px): on the dev corpus's
#: 200 dpi scans, 150, 120 and even 100 dpi read every identifier 200 dpi read, and
#: 200 -> 150 dpi saves about a tenth of Tesseract's time per page (its layout analysis
#: scales with the pixels; recognition scales each line to a fixed height anyway).
#: 150 rather than lower keeps a margin for small print (footers, 8 pt tables).
OCR_DPI = 150
MIN_OCR_DPI = 120
#: Image-only pages OCR-ed at most per document; the rest is reported as a gap.
MAX_OCR_PAGES = 100

_PDFIUM_PASSWORD_ERR = 4  # FPDF_ERR_PASSWORD


def _visible(text: str) -> int:
    return sum(1 for c in text if not c.isspace())


def _truncated(item: ItemData) -> bool:
    try:
        with item.open() as fh:
            fh.seek(0, 2)
            size = fh.tell()
            fh.seek(max(0, size - 4096))
            tail = fh.read()
    except OSError:
        return False
    return b"%%EOF" not in tail


class PdfExtractor(Extractor):
    name = "pdf"
    version = "2"
    kinds = ("pdf",)
    extensions = ("pdf",)

    def extract(self, item: ItemData, settings: Settings) -> Iterator[Extracted]:
        # Deferred: PDFium loads only when a PDF is read.
        import pypdfium2 as pdfium

        require_content(item)
        src: Any = item.path if item.path is not None else item.read()
        try:
            doc = pdfium.PdfDocument(src)
        except pdfium.PdfiumError as exc:
            if _is_password_error(exc):
                raise EncryptedError("password required") from exc
            # PDFium rejects it: let pdfminer try (it repairs some files differently).
            yield from _pdfminer_pages(item, exc)
            return
        try:
            yield from self._pages(doc, settings)
        finally:
            doc.close()
        if _truncated(item):
            yield Gap(
                "", "corrupt: the file is truncated (no %%EOF at the end); text was read as far as it goes"
            )

    def _pages(self, doc: Any, settings: Settings) -> Iterator[Extracted]:
        # Deferred: PDFium loads only when a PDF is read.
        import pypdfium2 as pdfium
        import pypdfium2.raw as raw

        try:
            count = len(doc)
        except pdfium.PdfiumError as exc:
            raise CorruptError(f"cannot count pages: {exc}") from exc
        ocr_done = 0
        for i in range(count):
            where = f"side {i + 1}"
            try:
                page = doc[i]
            except pdfium.PdfiumError as exc:
                yield Gap(where, f"corrupt: cannot load page: {exc}")
                continue
            try:
                textpage = page.get_textpage()
                text = textpage.get_text_range()
                textpage.close()
                if _visible(text) >= MIN_TEXT_CHARS:
                    yield Segment(text, location=where)
                    continue
                images = list(page.get_objects(filter=[raw.FPDF_PAGEOBJ_IMAGE], max_depth=3))
                if not images:
                    if text.strip():
                        yield Segment(text, location=where)
                    continue
                why = ocr_unavailable(settings)
                if why is not None:
                    if text.strip():
                        yield Segment(text, location=where)
                    yield Gap(where, why)
                    continue
                if ocr_done >= MAX_OCR_PAGES:
                    yield Gap(where, f"limit: only {MAX_OCR_PAGES} scanned pages are OCR-ed per document")
                    continue
                ocr_done += 1
                try:
                    dpi = scan_dpi(images)
                    image = scanned_page(page, dpi)
                    if image is None:
                        image = render_page(page, dpi)
                    ocr_text = ocr_image(image, settings, dpi=dpi, what="pages")
                except Unscannable as exc:
                    yield Gap(where, exc.reason)
                    continue
                combined = (text.strip() + "\n" + ocr_text).strip()
                if combined:
                    yield Segment(combined, location=f"{where} (OCR)")
            finally:
                page.close()


def scan_dpi(images: list[Any]) -> float:
    """The resolution to render a scanned page at: its images' own dpi, within bounds."""
    best = 0.0
    for img in images:
        try:
            meta = img.get_metadata()
            best = max(best, float(meta.horizontal_dpi), float(meta.vertical_dpi))
        except Exception:  # noqa: BLE001 - metadata is optional; fall back to the default
            continue
    return OCR_DPI if best <= 0 else min(OCR_DPI, max(MIN_OCR_DPI, best))


def _render_scale(page: Any, dpi: float) -> float:
    w, h = page.get_size()
    scale = dpi / 72
    if w * h * scale * scale > MAX_PIXELS:
        scale = (MAX_PIXELS / max(w * h, 1.0)) ** 0.5
    return scale


#: How far (in points) a scan's image may be off the page's edges and still cover it.
_EDGE_SLACK = 0.5


def scanned_page(page: Any, dpi: float) -> Any | None:
    """A scanner's page, read from its image instead of rendered: a grayscale PIL image
    of the size :func:`render_page` makes, or None when the page is anything else.

    A scanned page is one upright image laid over the whole page and nothing more.
    PDFium renders it by resampling the whole image through its compositor (a tenth
    of the OCR of a page); decoding the image and scaling it with Pillow gives the
    same picture for a fifth of that. Everything that would make the two differ sends
    the page to :func:`render_page`: a second object (a stamp, a line, text), a
    rotation, a crop box, an image that does not fill the page or is turned, an
    image with transparency or a mask, a colour space other than grey or RGB, a
    depth other than 8 bits per channel."""
    # Deferred: PDFium and Pillow load only when a PDF page is OCR-ed.
    import pypdfium2.raw as raw
    from PIL import Image

    if page.get_rotation() != 0 or page.get_cropbox() != page.get_mediabox():
        return None
    objects = list(page.get_objects(max_depth=1))
    if len(objects) != 1 or objects[0].type != raw.FPDF_PAGEOBJ_IMAGE:
        return None
    image = objects[0]
    left, bottom, right, top = page.get_mediabox()
    a, b, c, d, e, f = image.get_matrix().get()
    if b or c or a <= 0 or d <= 0 or raw.FPDFPageObj_HasTransparency(image):
        return None
    if max(abs(e - left), abs(f - bottom), abs(e + a - right), abs(f + d - top)) > _EDGE_SLACK:
        return None
    meta = image.get_metadata()
    if (meta.colorspace, meta.bits_per_pixel) not in (
        (raw.FPDF_COLORSPACE_DEVICEGRAY, 8),
        (raw.FPDF_COLORSPACE_DEVICERGB, 24),
    ):
        return None
    # The decoded image as stored (not rendered); freed by pypdfium2 when dropped.
    bitmap = image.get_bitmap(render=False)
    if bitmap.format not in (raw.FPDFBitmap_Gray, raw.FPDFBitmap_BGR):
        return None
    pil = bitmap.to_pil()
    pil = pil if pil.mode == "L" else pil.convert("L")
    scale = _render_scale(page, dpi)
    w, h = page.get_size()
    size = (math.ceil(w * scale), math.ceil(h * scale))
    return pil if pil.size == size else pil.resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0)


def render_page(page: Any, dpi: float = OCR_DPI) -> Any:
    """A page as a grayscale PIL image at ``dpi``, scaled down for huge page sizes."""
    scale = _render_scale(page, dpi)
    bitmap = page.render(scale=scale, grayscale=True)
    try:
        return bitmap.to_pil().copy()
    finally:
        bitmap.close()


def _is_password_error(exc: BaseException) -> bool:
    code = getattr(exc, "err_code", None)
    return code == _PDFIUM_PASSWORD_ERR or "password" in str(exc).lower()


def _pdfminer_pages(item: ItemData, pdfium_exc: BaseException) -> Iterator[Extracted]:
    """Fallback for PDFs PDFium cannot open."""
    try:
        # Deferred: pdfminer.six only as the fallback for files PDFium cannot open.
        from pdfminer.high_level import extract_pages
        from pdfminer.layout import LTTextContainer
        from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
        from pdfminer.pdfparser import PDFSyntaxError
        from pdfminer.psparser import PSException
    except ImportError as exc:  # pragma: no cover - pdfminer is a dependency
        raise CorruptError(f"not a readable PDF: {pdfium_exc}") from exc
    pages: list[Segment] = []
    try:
        with item.open() as fh:
            for n, layout in enumerate(extract_pages(fh), start=1):
                text = "".join(el.get_text() for el in layout if isinstance(el, LTTextContainer))
                if text.strip():
                    pages.append(Segment(text, location=f"side {n}"))
    except (PDFPasswordIncorrect, PDFEncryptionError) as exc:
        raise EncryptedError("password required") from exc
    except (
        PDFSyntaxError,
        PSException,
        ValueError,
        KeyError,
        TypeError,
        AttributeError,
        IndexError,
        AssertionError,
    ) as exc:
        raise CorruptError(
            f"not a readable PDF: {pdfium_exc}; pdfminer: {type(exc).__name__}: {exc}"[:300]
        ) from exc
    except ctypes.ArgumentError as exc:  # pragma: no cover
        raise CorruptError(f"not a readable PDF: {exc}") from exc
    if not pages:
        raise CorruptError(f"not a readable PDF: {pdfium_exc}"[:300])
    yield from pages


@hookimpl
def pvscan_extractors() -> list[Extractor]:
    return [PdfExtractor()]
