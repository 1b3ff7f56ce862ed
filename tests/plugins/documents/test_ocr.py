"""OCR of image files through tesseract."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from pvscan.engine.process import Engine
from pvscan.model import CorruptError, Gap, ItemData, Segment, Settings
from pvscan.plugins.documents.ocr import ImageOcrExtractor
from pvscan.plugins.sources.local import LocalSource
from pvscan.testing import fnr_from as fnr

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def picture(path: Path, text: str, fmt: str) -> Path:
    img = Image.new("RGB", (1600, 300), "white")
    ImageDraw.Draw(img).text((40, 100), text, font=ImageFont.truetype(FONT, 56), fill="black")
    img.save(path, format=fmt)
    return path


@pytest.mark.skipif(shutil.which("tesseract") is None, reason="needs tesseract")
@pytest.mark.parametrize(
    ("suffix", "fmt", "kind"), [(".png", "PNG", "png"), (".jpg", "JPEG", "jpeg"), (".tif", "TIFF", "tiff")]
)
def test_image_text_is_read(tmp_path: Path, suffix: str, fmt: str, kind: str) -> None:
    n = fnr(12, 3, 74, 800)
    path = picture(tmp_path / f"skann{suffix}", f"Personnummer {n}", fmt)
    result_kind = Engine(Settings()).process(next(LocalSource().walk(str(path), Settings()))).kind
    assert result_kind == kind
    item = ItemData(path.name, path=str(path))
    item.kind = kind
    segs = [s for s in ImageOcrExtractor().extract(item, Settings()) if isinstance(s, Segment)]
    assert segs and n in segs[0].text.replace(" ", "")


def test_no_ocr_gives_gap(tmp_path: Path) -> None:
    path = picture(tmp_path / "skann.png", "Tekst", "PNG")
    item = ItemData(path.name, path=str(path))
    item.kind = "png"
    out = list(ImageOcrExtractor().extract(item, Settings(ocr=False)))
    assert len(out) == 1 and isinstance(out[0], Gap)
    assert out[0].reason.startswith("unavailable: OCR")
    result = Engine(Settings(ocr=False)).process(next(LocalSource().walk(str(path), Settings())))
    assert [p.reason.split(":")[0] for p in result.problems] == ["unavailable"]


def test_truncated_image_is_corrupt(tmp_path: Path) -> None:
    path = picture(tmp_path / "skann.png", "Tekst", "PNG")
    path.write_bytes(path.read_bytes()[:200])
    item = ItemData(path.name, path=str(path))
    item.kind = "png"
    with pytest.raises(CorruptError):
        list(ImageOcrExtractor().extract(item, Settings()))


def test_precheck_skips_blank_and_photo_but_reads_a_letter(tmp_path: Path) -> None:
    """A blank (speckled) page and a photograph never reach Tesseract; a scanned letter
    does, and its number is read. The same image twice is recognised once."""
    import random

    from PIL import ImageFilter

    from pvscan.plugins.documents.ocr import ocr_image, text_unlikely
    from pvscan.util.counters import COUNTERS

    rng = random.Random(3)
    blank = Image.new("L", (1240, 1754), 250)
    for _ in range(40):  # scanner dust
        blank.putpixel((rng.randrange(1240), rng.randrange(1754)), 120)
    photo = Image.radial_gradient("L").resize((1200, 900))
    photo.paste(Image.linear_gradient("L").resize((500, 400)), (300, 200))  # a face, a wall
    photo = photo.filter(ImageFilter.GaussianBlur(6))  # a lens is soft
    assert text_unlikely(blank) == "blank"
    assert text_unlikely(photo) == "photo"

    n = fnr(12, 3, 74, 800)
    letter = Image.new("L", (1240, 1754), 255)
    draw = ImageDraw.Draw(letter)
    font = ImageFont.truetype(FONT, 24)
    for i, line in enumerate(
        ["Vedtak om heimeteneste", f"Fødselsnummer: {n}", *["Brødtekst i brevet."] * 20]
    ):
        draw.text((120, 150 + 40 * i), line, font=font, fill=0)
    assert text_unlikely(letter) is None
    if shutil.which("tesseract") is None:
        return
    before = dict(COUNTERS)
    assert ocr_image(blank, Settings()) == "" and ocr_image(photo, Settings()) == ""
    text = ocr_image(letter, Settings(), dpi=150)
    assert n in text.replace(" ", "")
    assert ocr_image(letter.copy(), Settings(), dpi=150) == text

    def moved(name: str) -> int:
        return COUNTERS[name] - before.get(name, 0)

    assert moved("ocr.images_skipped_blank") == 1 and moved("ocr.images_skipped_photo") == 1
    assert moved("ocr.images_read") == 1 and moved("ocr.images_remembered") == 1
