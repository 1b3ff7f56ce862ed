"""OCR of image files (.png .jpg .tif .gif .bmp .webp) and of image-only PDF pages.

Uses the ``tesseract`` command (Debian ``tesseract-ocr`` + ``tesseract-ocr-nor``) with
``-l nor`` (``eng`` when the Norwegian data is missing; ``PVSCAN_OCR_LANG`` overrides) through a subprocess
with a timeout, so a pathological image can never hang a worker. Images are converted
with Pillow to 8-bit grayscale PNG and downscaled past ~40 megapixels before OCR, which
keeps Tesseract's memory and time bounded; PDF pages are rendered by pdf.py at the
scan's own resolution (150-300 dpi) in grayscale, one page at a time.

OCR runs when ``settings.ocr`` is true (the default; ``--no-ocr`` turns it off) and
Tesseract is installed. Otherwise every image or page that needed it is reported as a
:class:`~pvscan.model.Gap` with reason ``unavailable: OCR ...``, never passed over in
silence. Images smaller than 32x32 pixels (icons, spacers) are not OCR-ed.
"""

from __future__ import annotations

import functools
import io
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from typing import Any

from pvscan import hookimpl
from pvscan.interfaces import Extractor
from pvscan.model import CorruptError, Extracted, Gap, ItemData, Segment, Settings, Unscannable

MAX_PIXELS = 40_000_000
MIN_SIDE = 32
#: Pages of one multi-page TIFF that are OCR-ed at most; the rest is reported as a gap.
MAX_FRAMES = 200


@functools.cache
def tesseract_langs() -> str | None:
    """The ``-l`` argument to use, or None when tesseract is not installed.

    Norwegian alone when its data is installed: the ``nor`` model reads the Latin
    alphabet and digits of English text too, and a second model costs every tesseract
    process about 17 MB and a fifth more time per page (measured on 200 dpi scans, with
    the same identifiers read). ``PVSCAN_OCR_LANG`` (e.g. ``nor+eng``) overrides it."""
    override = os.environ.get("PVSCAN_OCR_LANG")
    if override:
        return override if shutil.which("tesseract") else None
    exe = shutil.which("tesseract")
    if exe is None:
        return None
    try:
        out = subprocess.run([exe, "--list-langs"], capture_output=True, timeout=20, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired):
        return None
    langs = set(out.stdout.decode("utf-8", "replace").split()) | set(
        out.stderr.decode("utf-8", "replace").split()
    )
    if "nor" in langs:
        return "nor"
    return "eng" if "eng" in langs else ""


def ocr_unavailable(settings: Settings) -> str | None:
    """Why OCR cannot run now (a Gap reason), or None when it can."""
    if not settings.ocr:
        return "unavailable: OCR is turned off (--no-ocr); image text not read"
    if tesseract_langs() is None:
        return "unavailable: OCR needs tesseract (apt-get install tesseract-ocr tesseract-ocr-nor)"
    return None


def _tesseract_env() -> dict[str, str]:
    """Tesseract with one OpenMP thread. Its default (a thread per core) makes every
    page spin all cores; with one worker per core those threads fight each other:
    measured on the 2-core dev machine, 8 scanned pages took 28 s with the default and
    11 s with one thread, and the pool already keeps every core busy."""
    return dict(os.environ, OMP_THREAD_LIMIT="1")


def page_timeout(settings: Settings) -> float:
    return max(10.0, min(90.0, settings.time_limit / 2))


def ocr_image(image: Any, settings: Settings) -> str:
    """OCR one PIL image (converted to grayscale, bounded in size) and return its text.

    Raises ``Unscannable`` with category ``timeout`` when tesseract takes too long and
    CorruptError when it cannot read the image.
    """
    langs = tesseract_langs()
    if langs is None:
        raise Unscannable("OCR needs tesseract", "unavailable")
    img = image.convert("L") if image.mode != "L" else image
    w, h = img.size
    if w * h > MAX_PIXELS:
        scale = (MAX_PIXELS / (w * h)) ** 0.5
        img = img.resize((max(1, int(w * scale)), max(1, int(h * scale))))
    fd, path = tempfile.mkstemp(suffix=".png", prefix="pvscan-ocr-")
    os.close(fd)
    try:
        img.save(path, format="PNG")
        args = ["tesseract", path, "stdout", "--psm", "3"]
        if langs:
            args += ["-l", langs]
        timeout = page_timeout(settings)
        try:
            proc = subprocess.run(
                args, capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL, env=_tesseract_env()
            )
        except subprocess.TimeoutExpired as exc:
            raise Unscannable(f"OCR took more than {timeout:.0f} s", "timeout") from exc
        if proc.returncode != 0:
            err = proc.stderr.decode("utf-8", "replace").strip().splitlines()
            raise CorruptError(
                f"tesseract could not read the image: {err[-1] if err else proc.returncode}"[:300]
            )
        return proc.stdout.decode("utf-8", "replace")
    finally:
        os.unlink(path)


def _open_image(item: ItemData) -> Any:
    # Deferred: Pillow loads only when an image is OCR'd.
    from PIL import Image, UnidentifiedImageError

    Image.MAX_IMAGE_PIXELS = None  # size is bounded by ocr_image's downscaling instead
    try:
        fh = io.BytesIO(item.read()) if item.path is None else item.path
        img = Image.open(fh)
        img.size  # noqa: B018 - forces the header to be read
        return img
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise CorruptError(f"not a readable image: {exc}") from exc


class ImageOcrExtractor(Extractor):
    name = "ocr"
    version = "1"
    kinds = ("png", "jpeg", "tiff", "gif", "bmp", "webp")
    extensions = ("png", "jpg", "jpeg", "tif", "tiff", "gif", "bmp", "webp")

    def extract(self, item: ItemData, settings: Settings) -> Iterator[Extracted]:
        img = _open_image(item)
        try:
            # Pillow reads every TIFF directory to count frames; a damaged one raises
            # TypeError ("Missing dimensions"), found by fuzzing.
            frames = getattr(img, "n_frames", 1) or 1
        except (OSError, EOFError, ValueError, TypeError, SyntaxError) as exc:
            raise CorruptError(f"cannot read the image's pages: {exc}") from exc
        if img.size[0] < MIN_SIDE or img.size[1] < MIN_SIDE:
            return
        why = ocr_unavailable(settings)
        if why is not None:
            yield Gap("", why)
            return
        multi = frames > 1 and item.kind == "tiff"
        for n in range(min(frames, MAX_FRAMES) if multi else 1):
            try:
                img.seek(n)
                img.load()
            except (OSError, EOFError, ValueError, TypeError, SyntaxError) as exc:
                if n == 0:
                    raise CorruptError(f"cannot decode the image: {exc}") from exc
                yield Gap(f"side {n + 1}", f"corrupt: cannot decode page: {exc}")
                continue
            text = ocr_image(img, settings)
            if text.strip():
                yield Segment(text, location=f"side {n + 1} (OCR)" if multi else "bilde (OCR)")
        if multi and frames > MAX_FRAMES:
            yield Gap(
                f"side {MAX_FRAMES + 1}-{frames}", f"limit: only the first {MAX_FRAMES} pages are OCR-ed"
            )


@hookimpl
def pvscan_extractors() -> list[Extractor]:
    return [ImageOcrExtractor()]
