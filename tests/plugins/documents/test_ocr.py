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
