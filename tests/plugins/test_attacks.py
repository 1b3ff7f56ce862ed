"""XML and archive attacks: entity bombs, external entities, zip-slip, bombs, nesting.

Every attack is a real file built here with the real libraries and then altered the
way an attacker would (a DOCTYPE pasted into a part, a member named ``../../x``). The
scan must refuse bombs quickly with a ``limit:`` reason, never read a local file or
open a network connection for an external entity, and never write an archive member
anywhere (members are only labels; their bytes stay in anonymous spools).
"""

from __future__ import annotations

import io
import os
import socket
import tarfile
import threading
import time
import zipfile
from pathlib import Path

import pytest

from pvscan.engine.process import Engine
from pvscan.model import ItemResult, Settings
from pvscan.plugins.sources.local import LocalSource
from pvscan.testing import make_fnr
from tools.fuzz import write_stats

RESULTS: list[dict[str, str]] = []


@pytest.fixture(scope="module", autouse=True)
def _stats():
    yield
    write_stats("attacks", {"cases": RESULTS})


def record(cls: str, case: str, outcome: str) -> None:
    RESULTS.append({"class": cls, "case": case, "outcome": outcome})


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine(Settings(ocr=False))


def run(engine: Engine, path: Path) -> ItemResult:
    return engine.process(LocalSource()._ref(str(path), os.stat(path)))


# --------------------------------------------------------------------------- documents
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def _docx() -> bytes:
    import docx

    d = docx.Document()
    d.add_paragraph("Vanlig tekst")
    d.sections[0].header.paragraphs[0].text = "Topptekst"
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def _xlsx() -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.append(["Navn", "Tekst"])
    wb.active.append(["Kari", "noe"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _pptx() -> bytes:
    import pptx

    p = pptx.Presentation()
    s = p.slides.add_slide(p.slide_layouts[1])
    s.shapes.title.text = "Tittel"
    buf = io.BytesIO()
    p.save(buf)
    return buf.getvalue()


def _odt() -> bytes:
    return _rezip(
        None,
        {
            "mimetype": b"application/vnd.oasis.opendocument.text",
            "content.xml": b'<?xml version="1.0"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:text><text:p>Hei</text:p></office:text></office:body></office:document-content>',
        },
    )


def _rezip(package: bytes | None, replace: dict[str, bytes]) -> bytes:
    """``package`` with the named parts replaced (or added)."""
    members: dict[str, bytes] = {}
    if package is not None:
        with zipfile.ZipFile(io.BytesIO(package)) as zf:
            members = {n: zf.read(n) for n in zf.namelist()}
    members.update(replace)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as out:
        for n, b in members.items():
            out.writestr(n, b, compress_type=zipfile.ZIP_STORED if n == "mimetype" else zipfile.ZIP_DEFLATED)
    return buf.getvalue()


def _inject(part: bytes, doctype: str, entity_ref: str) -> bytes:
    """Put ``doctype`` in front of the root element and ``entity_ref`` into the first
    text node, as an attacker editing the part by hand would."""
    text = part.decode("utf-8")
    if text.startswith("<?xml"):
        decl_end = text.index("?>") + 2
        head, body = text[:decl_end], text[decl_end:]
    else:
        head, body = "", text
    for marker in ("<w:t>", "<w:t ", "<t>", "<t ", "<a:t>", "<text:p>", "<v>"):
        pos = body.find(marker)
        if pos >= 0:
            close = body.index(">", pos) + 1
            body = body[:close] + entity_ref + body[close:]
            break
    else:
        pos = body.find(' name="')  # workbook.xml: no text node, so a sheet name
        if pos < 0:
            raise AssertionError("no text node to put the entity in")
        pos += len(' name="')
        body = body[:pos] + entity_ref + body[pos:]
    return (head + doctype + body).encode("utf-8")


LAUGHS = (
    '<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10)
    )
    + "]>"
)
QUADRATIC = '<!DOCTYPE q [<!ENTITY a "' + "A" * 50_000 + '">]>'

# (format, builder, part that gets the DOCTYPE, how the part is parsed)
TARGETS = [
    ("docx", _docx, "word/document.xml", "iterparse"),
    ("docx", _docx, "word/header1.xml", "parse"),
    ("xlsx", _xlsx, "xl/worksheets/sheet1.xml", "iterparse"),
    ("xlsx", _xlsx, "xl/workbook.xml", "parse"),
    ("pptx", _pptx, "ppt/slides/slide1.xml", "parse"),
    ("odt", _odt, "content.xml", "parse"),
]


def _attack_file(tmp_path: Path, fmt: str, build, part: str, doctype: str, ref: str) -> Path:  # type: ignore[no-untyped-def]
    base = build()
    with zipfile.ZipFile(io.BytesIO(base)) as zf:
        original = zf.read(part)
    path = tmp_path / f"angrep.{fmt}"
    path.write_bytes(_rezip(base, {part: _inject(original, doctype, ref)}))
    return path


@pytest.mark.parametrize(("fmt", "build", "part", "how"), TARGETS, ids=[f"{t[0]}-{t[2]}" for t in TARGETS])
def test_billion_laughs_refused_fast(tmp_path: Path, engine: Engine, fmt, build, part, how) -> None:  # type: ignore[no-untyped-def]
    path = _attack_file(tmp_path, fmt, build, part, LAUGHS, "&lol9;")
    started = time.monotonic()
    res = run(engine, path)
    elapsed = time.monotonic() - started
    reasons = [p.reason for p in res.problems]
    assert elapsed < 3.0, f"entity bomb took {elapsed:.1f} s"
    assert any(r.startswith("limit: XML entity expansion refused") for r in reasons), reasons
    assert not any("lollol" in f.value for f in res.findings)
    record("xml-bomb", f"billion laughs in {fmt} {part}", f"refused in {elapsed * 1000:.0f} ms")


@pytest.mark.parametrize(("fmt", "build", "part", "how"), TARGETS[:1] + TARGETS[2:3] + TARGETS[5:])
def test_quadratic_blowup_not_expanded(tmp_path: Path, engine: Engine, fmt, build, part, how) -> None:  # type: ignore[no-untyped-def]
    """One 50 kB entity referenced 20 000 times (1 GB if expanded) must not expand."""
    path = _attack_file(tmp_path, fmt, build, part, QUADRATIC, "&a;" * 20_000)
    started = time.monotonic()
    res = run(engine, path)
    elapsed = time.monotonic() - started
    assert elapsed < 5.0
    assert not any(p.reason.startswith(("error", "timeout", "memory")) for p in res.problems), res.problems
    record("xml-bomb", f"quadratic blowup in {fmt} {part}", f"not expanded ({elapsed * 1000:.0f} ms)")


class _Listener:
    """A TCP listener that counts connections (an external entity fetch would connect)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(5)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.hits = 0
        self.stop = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.hits += 1
            conn.close()

    def close(self) -> None:
        self.stop = True
        self.thread.join(timeout=2)
        self.sock.close()


@pytest.mark.parametrize(("fmt", "build", "part", "how"), TARGETS, ids=[f"{t[0]}-{t[2]}" for t in TARGETS])
def test_external_entities_never_read(tmp_path: Path, engine: Engine, fmt, build, part, how) -> None:  # type: ignore[no-untyped-def]
    """A SYSTEM entity pointing at a local file holding a valid fødselsnummer, and one
    pointing at a listening socket: the number is never found, nothing connects."""
    secret_fnr = make_fnr()
    secret = tmp_path / "hemmelig.txt"
    secret.write_text(f"Fødselsnummer {secret_fnr}\n")
    net = _Listener()
    try:
        doctype = (
            f'<!DOCTYPE x [<!ENTITY xxe SYSTEM "file://{secret}">'
            f'<!ENTITY net SYSTEM "http://127.0.0.1:{net.port}/x">'
            f'<!ENTITY % dtd SYSTEM "http://127.0.0.1:{net.port}/e.dtd"> %dtd;]>'
        )
        path = _attack_file(tmp_path, fmt, build, part, doctype, "&xxe;&net;")
        res = run(engine, path)
        time.sleep(0.3)
    finally:
        net.close()
    assert secret_fnr not in {f.value for f in res.findings}
    assert not any(secret_fnr in p.reason for p in res.problems)
    assert net.hits == 0, "an external entity made a network connection"
    assert not any(p.reason.startswith(("error", "timeout")) for p in res.problems), res.problems
    record("xml-xxe", f"file:// and http:// entities in {fmt} {part}", "not resolved, no connection")


def test_external_entity_control_marker_is_findable(tmp_path: Path, engine: Engine) -> None:
    """Control: the same number written as plain document text IS found, so the test
    above would notice if the entity were expanded into text."""
    fnr = make_fnr()
    import docx

    d = docx.Document()
    d.add_paragraph(f"Fødselsnummer {fnr}")
    path = tmp_path / "kontroll.docx"
    d.save(path)
    assert fnr in {f.value for f in run(engine, path).findings}


# --------------------------------------------------------------------------- archives
def _zip_with(members: list[tuple[str, bytes]]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for n, b in members:
            zf.writestr(zipfile.ZipInfo(n), b)
    return buf.getvalue()


def _tar_with(members: list[tuple[str, bytes]], link: tuple[str, str] | None = None) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        for n, b in members:
            info = tarfile.TarInfo(n)
            info.size = len(b)
            tf.addfile(info, io.BytesIO(b))
        if link:
            info = tarfile.TarInfo(link[0])
            info.type = tarfile.SYMTYPE
            info.linkname = link[1]
            tf.addfile(info)
    return buf.getvalue()


def _tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


@pytest.mark.parametrize("kind", ["zip", "tar.gz"])
def test_zip_slip_and_absolute_members_write_nothing(
    tmp_path: Path, engine: Engine, kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Members named ``../../x``, ``/abs/x`` and a symlink to /etc/passwd: their text is
    scanned under their name, and no file appears outside (or inside) the scan folder,
    during the scan, an access request with copies, or quarantine."""
    from pvscan.scan import scan
    from pvscan.workflows.access import access_request
    from pvscan.workflows.deletion import Selection, execute, plan
    from pvscan.workflows.review import hashes_for

    monkeypatch.setenv("PVSCAN_HOME", str(tmp_path / "home"))
    fnr = make_fnr()
    work = tmp_path / "work"
    data = work / "data"
    data.mkdir(parents=True)
    monkeypatch.chdir(data)  # a naive extractor would write relative to here
    escape = tmp_path / f"slipped-{kind}"
    absolute = tmp_path / f"absolute-{kind}"
    members = [
        (f"../../../slipped-{kind}", f"fnr {fnr}".encode()),
        (f"{absolute}", f"fnr {fnr}".encode()),
        ("ok.txt", b"ingenting"),
    ]
    arc = data / f"pakke.{kind}"
    if kind == "zip":
        arc.write_bytes(_zip_with(members))
    else:
        arc.write_bytes(_tar_with(members, link=("passwd-link", "/etc/passwd")))
    before_tmp = _tree(tmp_path)
    db = str(work / "inv.sqlite")
    scan([str(data)], db, settings=Settings(ocr=False), workers=0)
    out = tmp_path / "innsyn"
    access_request(db, [fnr], str(out), copies=True, lang="nb")
    # By number the archive is "manual" (only members match); by folder it is quarantined whole.
    assert [e.action for e in plan(db, Selection(hashes=hashes_for([fnr]))).entries] == ["manual"]
    p = plan(db, Selection(folder=str(data)), mode="quarantine")
    quarantine = tmp_path / "karantene"
    execute(db, p, quarantine=str(quarantine), audit_log=str(tmp_path / "audit.log"))
    assert [e.action for e in p.entries] == ["quarantine"], p.entries
    assert not escape.exists() and not absolute.exists()
    assert not Path("/slipped-" + kind).exists()
    new = _tree(tmp_path) - before_tmp
    # Only pvscan's own files: the inventory, the access folder, the quarantine, the audit log.
    allowed = ("work/inv.sqlite", "innsyn", "karantene", "audit.log", "home")
    assert all(n.startswith(allowed) for n in new), sorted(new)
    quarantined = [p for p in quarantine.rglob("*") if p.is_file()]
    assert sorted(q.name for q in quarantined) == [f"00001_{arc.name}", "manifest.json"], quarantined
    record(
        "archive-slip",
        f"../ + absolute members{' + symlink' if kind != 'zip' else ''} in {kind}",
        "nothing written outside",
    )


def test_zip_slip_members_are_scanned_by_name(tmp_path: Path, engine: Engine) -> None:
    fnr = make_fnr()
    arc = tmp_path / "pakke.zip"
    arc.write_bytes(_zip_with([("../../etc/evil.txt", f"fnr {fnr}".encode()), ("/abs/evil.txt", b"x")]))
    res = run(engine, arc)
    items = {f.item for f in res.findings if f.value == fnr}
    assert items and all(".." in i for i in items), items


def test_high_ratio_zip_refused(tmp_path: Path, engine: Engine) -> None:
    """600 MB of zeros deflates to ~600 kB: refused by ratio/size before inflating."""
    arc = tmp_path / "bombe.zip"
    with zipfile.ZipFile(arc, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        with zf.open("nuller.txt", "w", force_zip64=True) as fh:
            block = b"\0" * 2**20
            for _ in range(600):
                fh.write(block)
    started = time.monotonic()
    res = run(engine, arc)
    elapsed = time.monotonic() - started
    assert any(p.reason.startswith("limit:") for p in res.problems), res.problems
    assert elapsed < 5
    record("archive-bomb", "600 MB of zeros in a 0.6 MB zip", f"limit: refused in {elapsed:.2f} s")


def test_high_ratio_gzip_stream_stopped(tmp_path: Path, engine: Engine) -> None:
    """A gzip stream (no declared size) inflating past the ratio limit is cut off."""
    import gzip

    arc = tmp_path / "bombe.txt.gz"
    with gzip.open(arc, "wb", compresslevel=9) as fh:
        block = b"\0" * 2**20
        for _ in range(600):
            fh.write(block)
    started = time.monotonic()
    res = run(engine, arc)
    elapsed = time.monotonic() - started
    assert any(p.reason.startswith("limit:") for p in res.problems), res.problems
    assert elapsed < 10
    record("archive-bomb", "600 MB gzip stream", f"limit: stopped in {elapsed:.2f} s")


def test_deeply_nested_archive_stops_at_depth(tmp_path: Path, engine: Engine) -> None:
    fnr = make_fnr()
    data = f"fnr {fnr}".encode()
    name = "inner.txt"
    for level in range(12):
        data, name = _zip_with([(name, data)]), f"lag{level}.zip"
    arc = tmp_path / "dyp.zip"
    arc.write_bytes(data)
    res = run(engine, arc)
    assert any("nested deeper than" in p.reason and p.reason.startswith("limit:") for p in res.problems)
    assert fnr not in {f.value for f in res.findings}
    record("archive-nesting", "zip nested 12 levels", "limit: stopped at depth 5")


def test_quine_and_overlapping_members(tmp_path: Path, engine: Engine) -> None:
    """Many members pointing at the same compressed data (the 'overlapping files' zip
    bomb): the declared total is over the limit, refused without inflating."""
    payload = zlib_deflate(b"A" * (8 * 2**20))
    arc = tmp_path / "overlap.zip"
    arc.write_bytes(_overlapping_zip(payload, 8 * 2**20, members=200))
    started = time.monotonic()
    res = run(engine, arc)
    elapsed = time.monotonic() - started
    assert any(p.reason.startswith(("limit:", "corrupt:")) for p in res.problems), res.problems
    assert not any(p.reason.startswith(("error", "timeout", "memory")) for p in res.problems)
    assert elapsed < 10
    record(
        "archive-bomb",
        "200 overlapping members (1.6 GB declared)",
        f"{res.problems[0].reason.split(':')[0]}: {elapsed:.2f} s",
    )


def zlib_deflate(data: bytes) -> bytes:
    import zlib

    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush()


def _overlapping_zip(deflated: bytes, size: int, members: int) -> bytes:
    """Central directory entries that all point at one local file (David Fifield's
    non-recursive zip bomb, simplified)."""
    import struct
    import zlib

    crc = zlib.crc32(b"A" * size)
    name = b"a.txt"
    local = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0, crc, len(deflated), size, len(name), 0)
    body = local + name + deflated
    cd = b""
    for i in range(members):
        n = f"m{i}.txt".encode()
        cd += (
            struct.pack(
                "<IHHHHHHIIIHHHHHII",
                0x02014B50,
                20,
                20,
                0,
                8,
                0,
                0,
                crc,
                len(deflated),
                size,
                len(n),
                0,
                0,
                0,
                0,
                0,
                0,
            )
            + n
        )
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, members, members, len(cd), len(body), 0)
    return body + cd + end
