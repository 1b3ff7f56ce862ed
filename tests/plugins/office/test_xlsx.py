"""The .xlsx extractor on workbooks written with openpyxl."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest

from pvscan.engine.process import Engine
from pvscan.model import ItemData, Segment, Settings
from pvscan.plugins.office.xlsx import XlsxExtractor
from pvscan.plugins.sources.local import LocalSource
from pvscan.testing import fnr_from as fnr


def segments(path: Path) -> list[Segment]:
    item = ItemData(path.name, path=str(path))
    item.kind = "xlsx"
    return [s for s in XlsxExtractor().extract(item, Settings()) if isinstance(s, Segment)]


@pytest.fixture
def workbook(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    n = {"row": fnr(3, 4, 77, 200), "zero": fnr(1, 5, 66, 300), "hidden": fnr(9, 9, 99, 400)}
    assert n["zero"].startswith("0")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Ark1"
    ws.append(["Navn", "Fødselsnummer", "Født"])
    ws.append(["Kari", n["row"], dt.date(1977, 4, 3)])
    ws.append(["Ola", int(n["zero"]), dt.datetime(1966, 5, 1)])
    ws.append(["Beløp", 1234.5, 7.0])
    hidden = wb.create_sheet("Skjult ark")
    hidden.sheet_state = "hidden"
    hidden["B3"] = f"FNR {n['hidden']}"
    path = tmp_path / "register.xlsx"
    wb.save(str(path))
    return path, n


def test_rows_cells_and_header_context(workbook: tuple[Path, dict[str, str]]) -> None:
    path, n = workbook
    segs = segments(path)
    row = next(s for s in segs if n["row"] in s.text)
    assert row.location == "Ark1!rad 2"
    assert row.text == f"Kari | {n['row']} | 03.04.1977"
    assert row.context == "Navn | Fødselsnummer | Født"
    assert row.location_at(row.text.index(n["row"])) == "Ark1!B2"  # type: ignore[attr-defined]


def test_integer_loses_leading_zero_but_no_decimals(workbook: tuple[Path, dict[str, str]]) -> None:
    path, n = workbook
    segs = segments(path)
    row = next(s for s in segs if s.location == "Ark1!rad 3")
    assert row.text == f"Ola | {n['zero'][1:]} | 01.05.1966"
    money = next(s for s in segs if s.location == "Ark1!rad 4")
    assert money.text == "Beløp | 1234.5 | 7"


def test_hidden_sheet_single_cell_location(workbook: tuple[Path, dict[str, str]]) -> None:
    path, n = workbook
    segs = segments(path)
    assert [s.location for s in segs if n["hidden"] in s.text] == ["'Skjult ark'!B3"]


def test_engine_reads_workbook(workbook: tuple[Path, dict[str, str]]) -> None:
    path, _ = workbook
    ref = next(LocalSource().walk(str(path), Settings()))
    result = Engine(Settings()).process(ref)
    assert result.kind == "xlsx" and result.extractor.startswith("xlsx ")
    assert not result.problems


def test_encrypted_workbook_is_reported(workbook: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    import msoffcrypto.format.ooxml

    path, _ = workbook
    enc = tmp_path / "lønn.xlsx"
    with open(path, "rb") as fh, open(enc, "wb") as out:
        msoffcrypto.format.ooxml.OOXMLFile(fh).encrypt("hemmelig", out)
    result = Engine(Settings()).process(next(LocalSource().walk(str(enc), Settings())))
    assert result.unscannable and result.problems[0].reason.startswith("encrypted: password required")


def test_default_password_workbook_is_decrypted_and_read(
    workbook: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    import msoffcrypto.format.ooxml

    from pvscan.model import InnerItem
    from pvscan.plugins.office.encrypted import EncryptedOfficeExtractor

    path, n = workbook
    enc = tmp_path / "beskyttet.xlsx"
    with open(path, "rb") as fh, open(enc, "wb") as out:
        msoffcrypto.format.ooxml.OOXMLFile(fh).encrypt("VelvetSweatshop", out)
    item = ItemData(enc.name, path=str(enc))
    item.kind = "ooxml-encrypted"
    inner = [x for x in EncryptedOfficeExtractor().extract(item, Settings()) if isinstance(x, InnerItem)]
    assert len(inner) == 1
    inner[0].data.kind = "xlsx"
    texts = [s.text for s in XlsxExtractor().extract(inner[0].data, Settings()) if isinstance(s, Segment)]
    assert any(n["hidden"] in t for t in texts)


def test_truncated_workbook_is_corrupt(workbook: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    path, _ = workbook
    bad = tmp_path / "kuttet.xlsx"
    bad.write_bytes(path.read_bytes()[:1500])
    result = Engine(Settings()).process(next(LocalSource().walk(str(bad), Settings())))
    assert result.unscannable and result.problems[0].reason.startswith("corrupt:")


@pytest.mark.parametrize("password", ["VelvetSweatshop", "hemmelig"])
def test_encrypted_workbook_derives_the_key_once(
    workbook: tuple[Path, dict[str, str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, password: str
) -> None:
    """The default-password attempt hashes the password once (100,000 SHA-512 rounds),
    not once for the key and again for the verifier, and still tells the default
    password (read) from a real one (reported encrypted)."""
    import msoffcrypto.format.ooxml
    from msoffcrypto.method.ecma376_agile import ECMA376Agile

    from pvscan.model import EncryptedError, InnerItem
    from pvscan.plugins.office.encrypted import EncryptedOfficeExtractor

    path, _ = workbook
    enc = tmp_path / "beskyttet.xlsx"
    with open(path, "rb") as fh, open(enc, "wb") as out:
        msoffcrypto.format.ooxml.OOXMLFile(fh).encrypt(password, out)
    derive = ECMA376Agile._derive_iterated_hash_from_password
    calls: list[str] = []

    def counting(*args: object, **kwargs: object) -> bytes:
        calls.append("derive")
        return derive(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(ECMA376Agile, "_derive_iterated_hash_from_password", staticmethod(counting))
    item = ItemData(enc.name, path=str(enc), size=enc.stat().st_size)
    item.kind = "ooxml-encrypted"
    if password == "VelvetSweatshop":
        pieces = list(EncryptedOfficeExtractor().extract(item, Settings()))
        assert [type(p) for p in pieces] == [InnerItem]
        assert pieces[0].data.read()[:4] == b"PK\x03\x04"  # type: ignore[union-attr]
    else:
        with pytest.raises(EncryptedError, match="password required"):
            list(EncryptedOfficeExtractor().extract(item, Settings()))
    assert calls == ["derive"]
