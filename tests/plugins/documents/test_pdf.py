"""The PDF extractor on PDFs written with reportlab: pages, encryption, damage, scans."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

from pvscan.engine.process import Engine
from pvscan.model import CorruptError, EncryptedError, Gap, ItemData, Segment, Settings
from pvscan.plugins.documents.pdf import PdfExtractor
from pvscan.plugins.sources.local import LocalSource
from pvscan.testing import fnr_from as fnr

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def make_pdf(path: Path, pages: list[str], encrypt: object = None) -> Path:
    c = canvas.Canvas(str(path), pagesize=A4, encrypt=encrypt)
    for text in pages:
        c.drawString(72, 760, text)
        c.showPage()
    c.save()
    return path


def extract(path: Path, settings: Settings | None = None) -> list[object]:
    item = ItemData(path.name, path=str(path))
    item.kind = "pdf"
    return list(PdfExtractor().extract(item, settings or Settings()))


def test_text_on_page_two(tmp_path: Path) -> None:
    n = fnr(5, 6, 71, 500)
    out = extract(make_pdf(tmp_path / "brev.pdf", ["Side en med tekst her", f"Fødselsnummer: {n}"]))
    assert [s.location for s in out if isinstance(s, Segment) and n in s.text] == ["side 2"]
    assert not [g for g in out if isinstance(g, Gap)]


def test_user_password_is_encrypted(tmp_path: Path) -> None:
    from reportlab.lib.pdfencrypt import StandardEncryption

    path = make_pdf(
        tmp_path / "låst.pdf", ["hemmelig tekst"], StandardEncryption("bruker", "eier", strength=128)
    )
    with pytest.raises(EncryptedError, match="password required"):
        extract(path)


def test_owner_password_only_is_read(tmp_path: Path) -> None:
    from reportlab.lib.pdfencrypt import StandardEncryption

    n = fnr(7, 8, 93, 600)
    path = make_pdf(
        tmp_path / "eier.pdf",
        [f"Fnr {n} i teksten"],
        StandardEncryption("", "eier", canPrint=0, strength=128),
    )
    assert any(isinstance(s, Segment) and n in s.text for s in extract(path))


def test_garbage_is_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "søppel.pdf"
    path.write_bytes(b"%PDF-1.4\n" + bytes(range(256)) * 20)
    with pytest.raises(CorruptError):
        extract(path)
    result = Engine(Settings()).process(next(LocalSource().walk(str(path), Settings())))
    assert result.unscannable and result.problems[0].reason.startswith("corrupt:")


def test_truncated_pdf_reports_damage(tmp_path: Path) -> None:
    path = make_pdf(tmp_path / "hel.pdf", [f"linje {i}" * 5 for i in range(5)])
    cut = tmp_path / "kuttet.pdf"
    cut.write_bytes(path.read_bytes()[: int(path.stat().st_size * 0.7)])
    result = Engine(Settings()).process(next(LocalSource().walk(str(cut), Settings())))
    assert any(p.reason.startswith("corrupt:") for p in result.problems)


def scanned_pdf(tmp_path: Path, text: str) -> Path:
    from PIL import Image, ImageDraw, ImageFont

    img = Image.new("L", (2480, 800), 255)
    ImageDraw.Draw(img).text((100, 300), text, font=ImageFont.truetype(FONT, 64), fill=0)
    path = tmp_path / "skann.pdf"
    c = canvas.Canvas(str(path), pagesize=A4)
    c.drawString(72, 760, "Forside med vanlig tekst i tekstlaget")
    c.showPage()
    c.drawImage(ImageReader(img), 0, 500, width=A4[0], height=A4[0] * 800 / 2480)
    c.showPage()
    c.save()
    return path


def test_image_page_without_ocr_is_a_gap(tmp_path: Path) -> None:
    path = scanned_pdf(tmp_path, "Fodselsnummer 12345678901")
    out = extract(path, Settings(ocr=False))
    gaps = [g for g in out if isinstance(g, Gap)]
    assert [(g.location, g.reason.split(":")[0]) for g in gaps] == [("side 2", "unavailable")]
    assert "OCR" in gaps[0].reason


@pytest.mark.skipif(shutil.which("tesseract") is None, reason="needs tesseract")
def test_image_page_is_ocred(tmp_path: Path) -> None:
    n = fnr(11, 12, 88, 700)
    path = scanned_pdf(tmp_path, f"Fodselsnummer {n}")
    out = extract(path)
    ocr = [s for s in out if isinstance(s, Segment) and s.location == "side 2 (OCR)"]
    assert ocr and n in ocr[0].text.replace(" ", "")
    assert not [g for g in out if isinstance(g, Gap)]


def test_scan_is_rendered_at_its_own_resolution(tmp_path: Path) -> None:
    """A 200 dpi scan is OCR-ed at 150 dpi (what Tesseract needs), a coarse one at no
    less than 120 dpi; the number is still read."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as raw
    from PIL import Image, ImageDraw, ImageFont

    from pvscan.plugins.documents.pdf import render_page, scan_dpi

    n = fnr(3, 4, 61, 420)
    path = tmp_path / "skann200.pdf"
    img = Image.new("L", (1654, 400), 255)  # 1654 px over the A4 width of 8.27 in: 200 dpi
    ImageDraw.Draw(img).text((60, 150), f"Fodselsnummer {n}", font=ImageFont.truetype(FONT, 44), fill=0)
    c = canvas.Canvas(str(path), pagesize=A4)
    c.drawImage(ImageReader(img), 0, 500, width=A4[0], height=A4[0] * 400 / 1654)
    c.drawImage(ImageReader(img.resize((400, 97))), 0, 100, width=A4[0], height=A4[0] * 97 / 400)
    c.showPage()
    c.save()
    doc = pdfium.PdfDocument(str(path))
    page = doc[0]
    images = list(page.get_objects(filter=[raw.FPDF_PAGEOBJ_IMAGE], max_depth=3))
    assert abs(scan_dpi(images) - 150) < 1  # the finest image decides, capped at 150
    assert abs(scan_dpi(images[1:]) - 120) < 1  # 48 dpi is raised to the floor
    assert scan_dpi([]) == 150
    assert abs(render_page(page, scan_dpi(images)).size[0] - 1654 * 150 / 200) <= 2
    page.close()
    doc.close()
    if shutil.which("tesseract"):
        ocr = [s for s in extract(path) if isinstance(s, Segment) and s.location == "side 1 (OCR)"]
        assert ocr and n in ocr[0].text.replace(" ", "")


def _full_page_scan(path: Path, mode: str = "L", extra_text: bool = False, rotate: int = 0) -> Path:
    """A scanner's PDF: one 200 dpi A4 image over the whole page (optionally with a
    line of text on it too, or the page turned)."""
    from PIL import Image, ImageDraw, ImageFont

    img = Image.new(mode, (1654, 2339), "white")
    ImageDraw.Draw(img).text(
        (120, 300), f"Fodselsnummer {fnr(5, 6, 72, 310)}", font=ImageFont.truetype(FONT, 44), fill="black"
    )
    c = canvas.Canvas(str(path), pagesize=A4)
    c.drawImage(ImageReader(img), 0, 0, width=A4[0], height=A4[1])
    if extra_text:
        c.drawString(72, 40, "Stempel: mottatt")
    if rotate:
        c.setPageRotation(rotate)
    c.showPage()
    c.save()
    return path


@pytest.mark.parametrize("mode", ["L", "RGB"])
def test_a_scanned_page_is_read_from_its_image_as_rendering_would_show_it(tmp_path: Path, mode: str) -> None:
    """A page that is one full-page image is taken from the image (decoded and scaled
    with Pillow) instead of rendered by PDFium: the same size and, pixel for pixel,
    nearly the same picture."""
    import pypdfium2 as pdfium
    from PIL import ImageChops, ImageStat

    from pvscan.plugins.documents.pdf import render_page, scanned_page

    doc = pdfium.PdfDocument(str(_full_page_scan(tmp_path / "skann.pdf", mode)))
    page = doc[0]
    fast, rendered = scanned_page(page, 150), render_page(page, 150)
    assert fast is not None and fast.mode == "L"
    assert fast.size == rendered.size == (1241, 1754)
    assert ImageStat.Stat(ImageChops.difference(fast, rendered)).mean[0] < 2.0  # of 255
    page.close()
    doc.close()
    if shutil.which("tesseract"):
        ocr = [s for s in extract(tmp_path / "skann.pdf") if isinstance(s, Segment)]
        assert [s.location for s in ocr] == ["side 1 (OCR)"]
        assert fnr(5, 6, 72, 310) in ocr[0].text.replace(" ", "")


@pytest.mark.parametrize("what", ["extra_text", "rotate"])
def test_a_page_with_more_than_its_scan_is_rendered(tmp_path: Path, what: str) -> None:
    """A stamp in the text layer or a turned page would be lost or misread from the
    image alone: such pages are rendered as before."""
    import pypdfium2 as pdfium

    from pvscan.plugins.documents.pdf import scanned_page

    kwargs = {"extra_text": True} if what == "extra_text" else {"rotate": 90}
    doc = pdfium.PdfDocument(str(_full_page_scan(tmp_path / "skann.pdf", **kwargs)))
    page = doc[0]
    assert scanned_page(page, 150) is None
    page.close()
    doc.close()
