"""The RTF extractor on hand-written RTF (the format is text; Word writes the same control words)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pvscan.engine.process import Engine
from pvscan.model import ItemData, LimitExceeded, Segment, Settings
from pvscan.plugins.documents import rtf
from pvscan.plugins.documents.rtf import RtfExtractor
from pvscan.plugins.sources.local import LocalSource
from pvscan.testing import fnr_from as fnr


def test_paragraphs_codepage_and_pictures(tmp_path: Path) -> None:
    n = fnr(6, 6, 66, 660)
    picture = "{\\pict\\pngblip " + "89504e47" * 2000 + "}"
    body = (
        "{\\rtf1\\ansi\\ansicpg1252\\deff0{\\fonttbl{\\f0 Arial;}}"
        "\\pard F\\'f8dselsnummer:\\par "
        f"{n}\\par " + picture + "Slutt\\par}"
    )
    path = tmp_path / "brev.rtf"
    path.write_bytes(body.encode("ascii"))
    result = Engine(Settings()).process(next(LocalSource().walk(str(path), Settings())))
    assert result.kind == "rtf" and result.extractor.startswith("rtf ")
    item = ItemData(path.name, path=str(path))
    item.kind = "rtf"
    segs = [s for s in RtfExtractor().extract(item, Settings()) if isinstance(s, Segment)]
    seg = next(s for s in segs if n in s.text)
    assert seg.location == "avsnitt 2" and seg.context == "Fødselsnummer:"
    assert not any("8950" in s.text for s in segs)


def test_huge_rtf_is_over_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rtf, "MAX_RTF_BYTES", 100)
    path = tmp_path / "stor.rtf"
    path.write_bytes(b"{\\rtf1 " + b"x" * 200 + b"}")
    item = ItemData(path.name, path=str(path))
    with pytest.raises(LimitExceeded, match="limit of 100"):
        list(RtfExtractor().extract(item, Settings()))
