"""Containers: zip (nested, bombs, path tricks, encryption), tar, gz/bz2/xz, 7z."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import os
import tarfile
import zipfile
from pathlib import Path

import pytest

from pvscan.engine.process import Engine
from pvscan.model import (
    CorruptError,
    EncryptedError,
    Gap,
    InnerItem,
    ItemData,
    ItemRef,
    LimitExceeded,
    Settings,
)
from pvscan.plugins.archives.archive import CompressedExtractor, SevenZipExtractor, TarExtractor, ZipExtractor
from pvscan.testing import fnr_from

REALDOCS = Path(__file__).resolve().parents[4] / "shared" / "realdocs"


def fnr(day: int, month: int, year: int, individ: int = 123) -> str:
    return fnr_from(day, month, year, individ)


FNR = fnr(5, 6, 77)
FNR2 = fnr(17, 1, 64)


def zip_bytes(members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def run(extractor, data: bytes, name: str, settings: Settings | None = None) -> list:  # type: ignore[no-untyped-def]
    item = ItemData(name, data=data)
    from pvscan.engine.sniff import sniff

    item.kind = sniff(item)
    return list(extractor.extract(item, settings or Settings()))


def scan(path: Path, settings: Settings | None = None):  # type: ignore[no-untyped-def]
    return Engine(settings or Settings(ocr=False)).process(
        ItemRef("local", str(path), str(path), path.stat().st_size, 0)
    )


# --------------------------------------------------------------------------- zip
def test_zip_nested_twice_item_paths(tmp_path: Path) -> None:
    innermost = zip_bytes({"dypt/notat.txt": f"Fnr {FNR}\n".encode()})
    middle = zip_bytes({"indre.zip": innermost, "les.txt": b"ingenting"})
    outer = zip_bytes({"mappe/midt.zip": middle, "topp.txt": f"Fnr {FNR2}\n".encode()})
    path = tmp_path / "ytre.zip"
    path.write_bytes(outer)
    result = scan(path)
    assert not result.unscannable, result.problems
    where = {(f.value, f.item) for f in result.findings}
    assert (FNR, "mappe/midt.zip / indre.zip / dypt/notat.txt") in where, where
    assert (FNR2, "topp.txt") in where


def test_zip_bomb_is_refused_with_a_limit_reason(tmp_path: Path) -> None:
    bomb = zip_bytes({"nuller.bin": bytes(50 * 1024**2)})
    assert len(bomb) < 100_000
    with pytest.raises(LimitExceeded) as info:
        run(ZipExtractor(), bomb, "bomb.zip")
    assert "ratio" in info.value.reason and "bomb" in info.value.reason
    # nested one level down: the inner archive is reported, the outer one still scanned
    path = tmp_path / "pakke.zip"
    path.write_bytes(zip_bytes({"ok.txt": f"Fnr {FNR}".encode(), "bomb.zip": bomb}))
    result = scan(path)
    assert any(f.value == FNR for f in result.findings)
    assert any(
        p.item == "bomb.zip" and p.reason.startswith("limit:") and "ratio" in p.reason
        for p in result.problems
    )


def test_total_unpacked_bytes_limit_counts_real_bytes() -> None:
    data = zip_bytes({f"del{n}.txt": os.urandom(300_000) for n in range(5)}, zipfile.ZIP_STORED)
    pieces = run(ZipExtractor(), data, "stor.zip", Settings(max_unpacked_bytes=1_000_000))
    read = [p for p in pieces if isinstance(p, InnerItem)]
    gaps = [p for p in pieces if isinstance(p, Gap)]
    assert len(read) == 3
    assert gaps and all("max_unpacked_bytes" in g.reason for g in gaps)


def test_member_count_limit() -> None:
    data = zip_bytes({f"f{n}.txt": b"x" for n in range(12)})
    pieces = run(ZipExtractor(), data, "mange.zip", Settings(max_members=10))
    assert len([p for p in pieces if isinstance(p, InnerItem)]) == 10
    assert any(isinstance(p, Gap) and "max_members" in p.reason for p in pieces)


def test_zip_slip_and_absolute_names_stay_labels(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    data = zip_bytes({"../../evil.txt": f"Fnr {FNR}".encode(), "/etc/abs.txt": b"hei"})
    pieces = run(ZipExtractor(), data, "slip.zip")
    names = [p.name for p in pieces]
    assert names == ["../../evil.txt", "etc/abs.txt"]
    assert pieces[0].data.read() == f"Fnr {FNR}".encode()
    assert not (tmp_path.parent.parent / "evil.txt").exists() and not list(tmp_path.iterdir())


def test_zip_symlink_member_is_not_followed() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        link = zipfile.ZipInfo("lenke")
        link.create_system = 3
        link.external_attr = 0o120777 << 16
        zf.writestr(link, "/etc/passwd")
        zf.writestr("ekte.txt", b"innhold")
    pieces = run(ZipExtractor(), buf.getvalue(), "lenker.zip")
    assert [p.name for p in pieces] == ["ekte.txt"]


def test_encrypted_members() -> None:
    path = REALDOCS / "osdatascanner" / "zip" / "encrypted-test-vector.zip"
    if not path.exists():
        pytest.skip("realdocs corpus not present")
    with pytest.raises(EncryptedError) as info:
        run(ZipExtractor(), path.read_bytes(), path.name)
    assert "password" in info.value.reason
    # one encrypted member among readable ones: a gap, the rest is read
    raw = zip_bytes({"a.txt": b"lesbar", "b.txt": b"hemmelig"}, zipfile.ZIP_STORED)
    second = raw.index(b"PK\x03\x04", 4)
    patched = bytearray(raw)
    patched[second + 6] |= 1  # local header flag
    central = raw.index(b"PK\x01\x02", raw.index(b"PK\x01\x02") + 4)
    patched[central + 8] |= 1  # central directory flag
    pieces = run(ZipExtractor(), bytes(patched), "delvis.zip")
    assert [p.name for p in pieces if isinstance(p, InnerItem)] == ["a.txt"]
    assert [(g.location, g.reason) for g in pieces if isinstance(g, Gap)] == [
        ("b.txt", "encrypted: password required")
    ]


def test_corrupt_zip() -> None:
    with pytest.raises(CorruptError):
        run(ZipExtractor(), b"PK\x03\x04" + os.urandom(200), "brukket.zip")


def test_zip_quine_is_stopped() -> None:
    path = REALDOCS / "osdatascanner" / "zip" / "r.zip"
    if not path.exists():
        pytest.skip("realdocs corpus not present")
    result = scan(path)
    assert result.problems and "limit" in result.problems[0].reason


# --------------------------------------------------------------------------- tar / compressed
def tar_bytes(members: dict[str, bytes], mode: str = "w") -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode=mode) as tf:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
        link = tarfile.TarInfo("lenke")
        link.type = tarfile.SYMTYPE
        link.linkname = "/etc/shadow"
        tf.addfile(link)
    return buf.getvalue()


@pytest.mark.parametrize(
    "mode,name", [("w", "a.tar"), ("w:gz", "a.tar.gz"), ("w:bz2", "a.tbz2"), ("w:xz", "a.tar.xz")]
)
def test_tar_variants(mode: str, name: str) -> None:
    data = tar_bytes({"docs/brev.txt": f"Fnr {FNR}".encode(), "../ut.txt": b"x"}, mode)
    extractor = TarExtractor() if mode == "w" else CompressedExtractor()
    pieces = run(extractor, data, name)
    assert [p.name for p in pieces] == ["docs/brev.txt", "../ut.txt"]
    assert pieces[0].data.read() == f"Fnr {FNR}".encode()


@pytest.mark.parametrize(
    "compress,name,inner",
    [
        (gzip.compress, "rapport.csv.gz", "rapport.csv"),
        (bz2.compress, "logg.txt.bz2", "logg.txt"),
        (lzma.compress, "x.xz", "x"),
    ],
)
def test_single_compressed_files(compress, name: str, inner: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / name
    path.write_bytes(compress(f"navn;fnr\nKari;{FNR}\n".encode()))
    result = scan(path)
    assert any(f.value == FNR and f.item == inner for f in result.findings), (
        result.findings,
        result.problems,
    )


def test_gzip_bomb_counts_real_bytes() -> None:
    data = gzip.compress(bytes(20 * 1024**2))
    with pytest.raises(LimitExceeded) as info:
        run(CompressedExtractor(), data, "nuller.gz")
    assert "ratio" in info.value.reason


def test_truncated_gzip_keeps_what_was_read() -> None:
    data = gzip.compress(f"Fnr {FNR}\n".encode() * 2000)[:-40]
    pieces = run(CompressedExtractor(), data, "kort.txt.gz")
    assert isinstance(pieces[0], InnerItem) and FNR.encode() in pieces[0].data.read()
    assert isinstance(pieces[-1], Gap) and pieces[-1].reason.startswith("corrupt:")


# --------------------------------------------------------------------------- 7z
def test_7z_members(tmp_path: Path) -> None:
    py7zr = pytest.importorskip("py7zr")
    path = tmp_path / "arkiv.7z"
    with py7zr.SevenZipFile(path, "w") as archive:
        archive.writestr(f"Fnr {FNR}".encode(), "mappe/fil.txt")
        archive.writestr(b"annet", "b.txt")
    pieces = run(SevenZipExtractor(), path.read_bytes(), path.name)
    assert sorted(p.name for p in pieces) == ["b.txt", "mappe/fil.txt"]
    result = scan(path)
    assert any(f.value == FNR and f.item == "mappe/fil.txt" for f in result.findings)


def test_7z_encrypted() -> None:
    path = REALDOCS / "tika" / "tika-parser-pkg-module" / "test7Z_protected_passTika.7z"
    if not path.exists():
        pytest.skip("realdocs corpus not present")
    with pytest.raises(EncryptedError):
        run(SevenZipExtractor(), path.read_bytes(), path.name)


def test_realdocs_containers_never_error() -> None:
    manifest = REALDOCS / "manifest.tsv"
    if not manifest.exists():
        pytest.skip("realdocs corpus not present")
    rows = [line.split("\t") for line in manifest.read_text().splitlines()[1:]]
    engine = Engine(Settings(ocr=False))
    for rel in (r[0] for r in rows if len(r) > 2 and r[2] in ("zip", "gz", "bz2", "7z", "tar", "tgz", "xz")):
        path = REALDOCS / rel
        result = engine.process(ItemRef("local", str(path), str(path), path.stat().st_size, 0))
        errors = [
            p for p in result.problems if p.reason.startswith("error:") and "zip" in p.reason.split(":")[1]
        ]
        assert not errors, (rel, errors)
