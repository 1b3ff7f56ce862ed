"""The .xlsx extractor on workbooks written with openpyxl."""

from __future__ import annotations

import datetime as dt
import zipfile
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest

from pvscan.engine.process import Engine
from pvscan.model import ItemData, Segment, Settings
from pvscan.plugins.office import xlsx
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
    not once for the key and again for the verifier, and in pvscan's own loop rather than
    msoffcrypto's; it still tells the default password (read) from a real one (reported
    encrypted)."""
    import msoffcrypto.format.ooxml
    from msoffcrypto.method.ecma376_agile import ECMA376Agile

    from pvscan.model import EncryptedError, InnerItem
    from pvscan.plugins.office import encrypted
    from pvscan.plugins.office.encrypted import EncryptedOfficeExtractor

    path, _ = workbook
    enc = tmp_path / "beskyttet.xlsx"
    with open(path, "rb") as fh, open(enc, "wb") as out:
        msoffcrypto.format.ooxml.OOXMLFile(fh).encrypt(password, out)
    calls: list[str] = []

    def counting(name: str, derive: Callable[..., object]) -> Callable[..., object]:
        def counted(*args: object, **kwargs: object) -> object:
            calls.append(name)
            return derive(*args, **kwargs)

        return counted

    theirs = ECMA376Agile._derive_iterated_hash_from_password
    monkeypatch.setattr(
        ECMA376Agile, "_derive_iterated_hash_from_password", staticmethod(counting("msoffcrypto", theirs))
    )
    monkeypatch.setattr(encrypted, "agile_password_hash", counting("pvscan", encrypted.agile_password_hash))
    item = ItemData(enc.name, path=str(enc), size=enc.stat().st_size)
    item.kind = "ooxml-encrypted"
    if password == "VelvetSweatshop":
        pieces = list(EncryptedOfficeExtractor().extract(item, Settings()))
        assert [type(p) for p in pieces] == [InnerItem]
        assert pieces[0].data.read()[:4] == b"PK\x03\x04"  # type: ignore[union-attr]
    else:
        with pytest.raises(EncryptedError, match="password required"):
            list(EncryptedOfficeExtractor().extract(item, Settings()))
    assert calls == ["pvscan"]


# ------------------------------------------------------------------ the calamine fast path
def lxml_segments(path: Path, monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str, str, object]]:
    """What the lxml reader alone gives (calamine switched off)."""
    with monkeypatch.context() as m:
        m.setattr(xlsx._Calamine, "rows", lambda self, sheet, part: None)
        return [(s.location, s.context, s.text, getattr(s, "cells", None)) for s in segments(path)]


def rewrite_part(path: Path, part: str, old: bytes, new: bytes) -> None:
    """Replace ``old`` by ``new`` in one part of the package at ``path``."""
    with zipfile.ZipFile(path) as src:
        parts = [(info, src.read(info)) for info in src.infolist()]
    with zipfile.ZipFile(path, "w") as out:
        for info, data in parts:
            if info.filename == part:
                assert old in data
                data = data.replace(old, new)
            out.writestr(info, data)


def spy_calamine(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The sheets the calamine path read (its answer was not None)."""
    read: list[str] = []
    rows = xlsx._Calamine.rows

    def spying(self: xlsx._Calamine, sheet: str, part: str) -> object:
        out = rows(self, sheet, part)
        if out is not None:
            read.append(sheet)
        return out

    monkeypatch.setattr(xlsx._Calamine, "rows", spying)
    return read


def test_calamine_reads_the_register_as_the_lxml_reader_does(
    workbook: tuple[Path, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    path, n = workbook
    expected = lxml_segments(path, monkeypatch)
    read = spy_calamine(monkeypatch)
    got = [(s.location, s.context, s.text, getattr(s, "cells", None)) for s in segments(path)]
    assert read == ["Ark1", "Skjult ark"]  # hidden sheets too
    assert got == expected
    row = next(s for s in segments(path) if s.location == "Ark1!rad 3")
    assert row.text == f"Ola | {n['zero'][1:]} | 01.05.1966"  # the lost zero, the date
    assert row.location_at(row.text.index(n["zero"][1:])) == "Ark1!B3"  # type: ignore[attr-defined]


def test_calamine_path_strings_formulas_and_comments(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from openpyxl.comments import Comment

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Liste"
    ws["C4"] = "Navn"
    ws["D4"] = "Sum"
    ws["C5"] = "Kari"
    ws["D5"] = "=1+2"  # openpyxl writes no cached value: the cell is empty to both readers
    ws["E5"] = 0.1 + 0.2
    ws["F5"] = True
    ws["C5"].comment = Comment("FNR i merknad", "saksbehandler")
    path = tmp_path / "liste.xlsx"
    wb.save(str(path))
    expected = lxml_segments(path, monkeypatch)
    read = spy_calamine(monkeypatch)
    got = [(s.location, s.context, s.text, getattr(s, "cells", None)) for s in segments(path)]
    assert read == ["Liste"] and got == expected
    assert [(loc, text) for loc, _, text, _ in got] == [
        ("Liste!rad 4", "Navn | Sum"),
        ("Liste!rad 5", "Kari | 0.3"),
        ("Liste!C5 kommentar", "FNR i merknad"),
    ]


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (dt.time(10, 30), "30.12.1899 10:30"),  # a time of day: calamine gives no date
        (2**52 + 1, "9007199254740993"),  # written as 2**53 + 1 below: a float rounds it
        (dt.date(1900, 2, 1), "31.01.1900"),  # before Excel's leap-year bug: readers differ
    ],
)
def test_cells_calamine_reads_differently_send_the_sheet_to_lxml(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: object, text: str
) -> None:
    wb = openpyxl.Workbook()
    wb.active.title = "Ark1"
    wb.active.append(["Verdi", value])
    other = wb.create_sheet("Ark2")
    other.append(["Kari", 1234.5])
    path = tmp_path / "verdiar.xlsx"
    wb.save(str(path))
    if value == 2**52 + 1:  # openpyxl writes numbers as floats: put the integer's digits in
        rewrite_part(path, "xl/worksheets/sheet1.xml", b"<v>4503599627370497</v>", b"<v>9007199254740993</v>")
    read = spy_calamine(monkeypatch)
    segs = segments(path)
    assert read == ["Ark2"]  # the other sheet still takes the fast path
    assert [s.text for s in segs] == [f"Verdi | {text}", "Kari | 1234.5"]


def edit_part(path: Path, out_path: Path, part: str, old: bytes, new: bytes) -> None:
    """A copy of the package at ``path`` with ``old`` replaced by ``new`` in one part."""
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out_path, "w") as out:
        for info in src.infolist():
            data = src.read(info)
            out.writestr(info, data.replace(old, new) if info.filename == part else data)


def test_sheet_calamine_cannot_open_is_read_by_lxml(
    workbook: tuple[Path, dict[str, str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sheet calamine refuses (here: a shared-string index past the table, which the
    lxml reader reads as an empty cell) is read by the lxml reader; the others are not."""
    path, n = workbook
    damaged = tmp_path / "skadd.xlsx"
    edit_part(
        path,
        damaged,
        "xl/worksheets/sheet1.xml",
        b"</sheetData>",
        b'<row r="9"><c r="A9" t="s"><v>999</v></c></row></sheetData>',
    )
    read = spy_calamine(monkeypatch)
    texts = [s.text for s in segments(damaged)]
    assert read == ["Skjult ark"]
    assert any(n["row"] in t for t in texts) and any(n["hidden"] in t for t in texts)


def test_phonetic_runs_are_left_out_by_both_readers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Japanese readings (``<rPh><r><t>``, as LibreOffice writes them) are not cell text."""
    wb = openpyxl.Workbook()
    wb.active["A1"] = "課きく"
    path = tmp_path / "rph.xlsx"
    wb.save(str(path))
    rph = tmp_path / "rph2.xlsx"
    edit_part(
        path,
        rph,
        "xl/sharedStrings.xml",
        b"</t></si>",
        b'</t><rPh sb="0" eb="1"><r><t>\xe3\x82\xab</t></r></rPh></si>',
    )
    assert [t for _, _, t, _ in lxml_segments(rph, monkeypatch)] == ["課きく"]
    assert [s.text for s in segments(rph)] == ["課きく"]


@pytest.mark.parametrize(
    ("fid", "code", "agree"),
    [
        (0, None, True),
        (14, None, True),
        (27, None, False),  # East Asian built-in: a date to pvscan only
        (170, "DD.MM.YYYY", True),
        (170, "[$-414]d\\.\\ mmmm\\ yyyy;@", True),
        (170, "0.00%", True),
        (170, "General", True),
        (170, 'General;[Red]-General;"null"', False),  # conservative: an 'a' may start AM/PM
        (170, '_-* #,##0.00\\ "kr"_-;\\-* #,##0.00\\ "kr"_-;_-* "-"??\\ "kr"_-;_-@_-', True),
        (170, "[h]:mm:ss", False),  # a duration to calamine
        (170, "0_s", False),  # '_s' is a space to calamine, an 's' to pvscan
        (20, "dd.mm.yyyy", False),  # a redefined built-in id
    ],
)
def test_formats_agree(fid: int, code: str | None, agree: bool) -> None:
    assert xlsx.formats_agree(fid, code) is agree
