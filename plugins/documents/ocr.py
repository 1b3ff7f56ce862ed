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

Speed (OCR was four and a half times the rest of a scan on the dev corpus):

- **Only what can hold text**: a cheap look at a small copy of the image first
  (:func:`text_unlikely`): a page with almost no strong edges is blank, a logo-less
  decoration or a smooth photograph, and is not sent to Tesseract. The test errs
  towards OCR: anything with the edge density of print is read.
- **Once per distinct image**: the text is remembered per worker process by a hash of
  the pixels (a bounded memo in memory only: the text is personal data and is never
  written anywhere), so the same scanned attachment forwarded in ten mails, or the
  same letterhead in every letter, is recognised once by that worker.
- **Tesseract in process**: when ``libtesseract.so.5`` can be loaded, each worker keeps
  one Tesseract instance with the language model loaded (through its C API, with
  ``ctypes``) and hands it the pixels directly: no process start, no model load and no
  PNG written and read per page (measured on 16 scanned pages of the dev corpus: about
  0.2 s of CPU saved per page of 1.1 s). The per-image time limit stays: Tesseract's own
  deadline stops recognition, and the worker pool's per-item limit replaces a worker
  stuck anywhere else. Without the library, the ``tesseract`` command is run as before.
- **The resolution it needs**: scanned PDF pages are rendered at no more than 150 dpi
  (pdf.py), which read the same identifiers as 200-300 dpi on the dev corpus's scans
  at a fifth less CPU.

What was OCR'd, skipped or remembered is counted (``ocr.*`` in
:mod:`pvscan.util.counters`) and shown by the benchmark.
"""

from __future__ import annotations

import atexit
import ctypes
import functools
import hashlib
import io
import os
import shutil
import subprocess
import tempfile
import time
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

from pvscan import hookimpl
from pvscan.interfaces import Extractor
from pvscan.model import CorruptError, Extracted, Gap, ItemData, Segment, Settings, Unscannable
from pvscan.util.counters import count

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


#: Page segmentation: automatic layout analysis (``--psm 3``). ``6`` (one block) was
#: about a tenth faster on the dev corpus's one-column letters, but reads a page with a
#: photograph or two columns as one block of text; a scan's layout is not known.
PSM = 3
#: Strong-edge share (of a ~400 px wide copy) under which an image with a wide spread of
#: greys is taken to be a photograph. A scanned letter page is at 1-5 %.
MIN_EDGE_SHARE = 0.004
#: Under this share even a mostly white page is blank: a single line of print (a page
#: holding just one number) is several times above it.
BLANK_EDGE_SHARE = 0.0005
#: Distinct images whose text a worker remembers, and the text it keeps at most.
MEMO_IMAGES = 256
MEMO_CHARS = 4_000_000


def text_unlikely(img: Any) -> str | None:
    """Why ``img`` (grayscale) cannot hold readable text ("blank", "photo"), or None.

    Cheap (a few milliseconds on a page): a ~400 px wide copy, its edges, and the share
    of strong ones. Print is dense in sharp dark-light steps; a blank or speckled page
    has almost none, and a photograph's edges are soft. When in doubt it says None,
    and the image is OCR'd."""
    # Deferred: Pillow loads only when an image is OCR'd.
    from PIL import ImageFilter, ImageStat

    w, h = img.size
    scale = min(1.0, 400 / max(w, 1))
    small = img.resize((max(1, int(w * scale)), max(1, int(h * scale)))) if scale < 1 else img
    lo, hi = small.getextrema()
    if hi - lo < 32:
        return "blank"
    edges = small.filter(ImageFilter.FIND_EDGES).point(lambda v: 255 if v >= 96 else 0)
    sw, sh = edges.size
    if sw > 4 and sh > 4:  # the filter's frame is all "edge": leave it out
        edges = edges.crop((1, 1, sw - 1, sh - 1))
    share = ImageStat.Stat(edges).mean[0] / 255
    if share < MIN_EDGE_SHARE and ImageStat.Stat(small).stddev[0] > 40:
        return "photo"  # few sharp edges over a wide range of greys: a soft photograph
    if share < BLANK_EDGE_SHARE:
        return "blank"  # dust, a punched hole, a crease: nothing like a line of print
    return None


class _Memo:
    """Text of the images this worker has OCR'd, by a hash of their pixels (bounded,
    in memory only, gone with the process)."""

    def __init__(self) -> None:
        self.texts: OrderedDict[bytes, str] = OrderedDict()
        self.chars = 0
        self.pid = os.getpid()

    def get(self, key: bytes) -> str | None:
        if self.pid != os.getpid():  # a forked worker starts empty
            self.__init__()  # type: ignore[misc]
        text = self.texts.get(key)
        if text is not None:
            self.texts.move_to_end(key)
        return text

    def put(self, key: bytes, text: str) -> None:
        self.texts[key] = text
        self.chars += len(text)
        while self.texts and (len(self.texts) > MEMO_IMAGES or self.chars > MEMO_CHARS):
            _, old = self.texts.popitem(last=False)
            self.chars -= len(old)


_MEMO = _Memo()


def ocr_image(image: Any, settings: Settings, dpi: float | None = None, what: str = "images") -> str:
    """OCR one PIL image (converted to grayscale, bounded in size) and return its text.

    An image that cannot hold text (:func:`text_unlikely`) gives ``""`` without OCR; an
    image this worker has read before gives the text it read then. ``dpi`` (when known)
    tells Tesseract the scale of the print. ``what`` names the counter (``images`` or
    ``pages``).

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
    why = text_unlikely(img)
    if why is not None:
        count(f"ocr.{what}_skipped_{why}")
        return ""
    pixels = img.tobytes()
    key = hashlib.blake2b(pixels, digest_size=20, person=f"{img.size}".encode()[:16]).digest()
    text = _MEMO.get(key)
    if text is not None:
        count(f"ocr.{what}_remembered")
        return text
    engine = _in_process(langs)
    if engine is not None:
        text = engine.read(pixels, img.size, int(dpi or 0), page_timeout(settings))
    else:
        text = _ocr_command(img, langs, settings)
    count(f"ocr.{what}_read")
    _MEMO.put(key, text)
    return text


def _ocr_command(img: Any, langs: str, settings: Settings) -> str:
    """OCR through the ``tesseract`` command (when the library cannot be loaded)."""
    fd, path = tempfile.mkstemp(suffix=".png", prefix="pvscan-ocr-")
    os.close(fd)
    try:
        img.save(path, format="PNG")
        args = ["tesseract", path, "stdout", "--psm", str(PSM)]
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


class _TessApi:
    """One Tesseract instance of this process, through the C API of libtesseract."""

    def __init__(self, lib: Any, langs: str):
        lib.TessBaseAPICreate.restype = ctypes.c_void_p
        lib.TessBaseAPIInit3.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p]
        lib.TessBaseAPISetPageSegMode.argtypes = [ctypes.c_void_p, ctypes.c_int]
        lib.TessBaseAPISetImage.argtypes = [
            ctypes.c_void_p,
            ctypes.c_char_p,
            ctypes.c_int,
            ctypes.c_int,
            ctypes.c_int,
            ctypes.c_int,
        ]
        lib.TessBaseAPISetSourceResolution.argtypes = [ctypes.c_void_p, ctypes.c_int]
        lib.TessBaseAPIRecognize.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
        lib.TessBaseAPIGetUTF8Text.argtypes = [ctypes.c_void_p]
        lib.TessBaseAPIGetUTF8Text.restype = ctypes.c_void_p
        lib.TessDeleteText.argtypes = [ctypes.c_void_p]
        lib.TessBaseAPIClear.argtypes = [ctypes.c_void_p]
        lib.TessMonitorCreate.restype = ctypes.c_void_p
        lib.TessMonitorSetDeadlineMSecs.argtypes = [ctypes.c_void_p, ctypes.c_int]
        lib.TessMonitorDelete.argtypes = [ctypes.c_void_p]
        lib.TessBaseAPIEnd.argtypes = [ctypes.c_void_p]
        lib.TessBaseAPIDelete.argtypes = [ctypes.c_void_p]
        self.lib = lib
        self.api = lib.TessBaseAPICreate()
        if not self.api or lib.TessBaseAPIInit3(self.api, None, langs.encode()) != 0:
            raise OSError(f"tesseract could not load the language data {langs!r}")
        lib.TessBaseAPISetPageSegMode(self.api, PSM)
        # Tesseract's own chatter ("Detected 35 diacritics") would land on the terminal.
        lib.TessBaseAPISetVariable.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p]
        lib.TessBaseAPISetVariable(self.api, b"debug_file", os.devnull.encode())
        # Freed before the interpreter exits: Tesseract's caches otherwise print "LEAK!"
        # warnings to stderr at exit (a forked worker ends with os._exit and skips both).
        atexit.register(self.close)

    def close(self) -> None:
        if self.api:
            self.lib.TessBaseAPIEnd(self.api)
            self.lib.TessBaseAPIDelete(self.api)
            self.api = None

    def read(self, pixels: bytes, size: tuple[int, int], dpi: int, timeout: float) -> str:
        lib, api = self.lib, self.api
        w, h = size
        lib.TessBaseAPISetImage(api, pixels, w, h, 1, w)
        # Tesseract guesses (and warns) without a resolution; 300 is its own default.
        lib.TessBaseAPISetSourceResolution(api, dpi if dpi > 0 else 300)
        monitor = lib.TessMonitorCreate()
        started = time.monotonic()
        try:
            lib.TessMonitorSetDeadlineMSecs(monitor, int(timeout * 1000))
            rc = lib.TessBaseAPIRecognize(api, monitor)
            if time.monotonic() - started >= timeout:
                raise Unscannable(f"OCR took more than {timeout:.0f} s", "timeout")
            if rc != 0:
                raise CorruptError("tesseract could not read the image")
            ptr = lib.TessBaseAPIGetUTF8Text(api)
            try:
                return ctypes.string_at(ptr).decode("utf-8", "replace") if ptr else ""
            finally:
                if ptr:
                    lib.TessDeleteText(ptr)
        finally:
            lib.TessMonitorDelete(monitor)
            lib.TessBaseAPIClear(api)


#: (pid, langs) -> the in-process Tesseract, or None when it cannot be had.
_APIS: dict[tuple[int, str], _TessApi | None] = {}


def _in_process(langs: str) -> _TessApi | None:
    """This process's Tesseract instance, created on first use (after the fork, so each
    worker has its own), or None when libtesseract cannot be loaded (then the command
    is used). ``PVSCAN_OCR_COMMAND=1`` forces the command."""
    if not langs or os.environ.get("PVSCAN_OCR_COMMAND"):
        return None
    key = (os.getpid(), langs)
    if key not in _APIS:
        # One OpenMP thread, read by libgomp when it loads (see _tesseract_env).
        os.environ["OMP_THREAD_LIMIT"] = "1"
        try:
            _APIS[key] = _TessApi(ctypes.CDLL("libtesseract.so.5"), langs)
        except (OSError, AttributeError):
            _APIS[key] = None
    return _APIS[key]


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


def _image_dpi(img: Any) -> float | None:
    """The resolution an image file states (many scanners write it), else None."""
    try:
        dpi = img.info.get("dpi")
        value = float(dpi[0]) if dpi else 0.0
    except (TypeError, ValueError, IndexError):
        return None
    return value if 50 <= value <= 1200 else None


class ImageOcrExtractor(Extractor):
    name = "ocr"
    version = "2"
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
            text = ocr_image(img, settings, dpi=_image_dpi(img))
            if text.strip():
                yield Segment(text, location=f"side {n + 1} (OCR)" if multi else "bilde (OCR)")
        if multi and frames > MAX_FRAMES:
            yield Gap(
                f"side {MAX_FRAMES + 1}-{frames}", f"limit: only the first {MAX_FRAMES} pages are OCR-ed"
            )


@hookimpl
def pvscan_extractors() -> list[Extractor]:
    return [ImageOcrExtractor()]
