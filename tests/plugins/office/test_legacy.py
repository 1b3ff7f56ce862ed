"""Legacy .doc/.xls/.ppt. No library here writes these formats, so the tests read real
sample files from the shared corpus (skipped where it is absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pvscan.engine.process import Engine
from pvscan.model import EncryptedError, ItemData, Segment, Settings
from pvscan.plugins.office.legacy import LegacyOfficeExtractor
from pvscan.plugins.sources.local import LocalSource

REAL = Path(__file__).resolve().parents[4] / "shared" / "realdocs"
CRYPTO = REAL / "msoffcrypto-tool/tests/inputs"
TIKA = REAL / "tika/tika-parser-microsoft-module"
pytestmark = pytest.mark.skipif(not REAL.is_dir(), reason="needs the shared realdocs corpus")


def segments(path: Path) -> list[Segment]:
    result = Engine(Settings()).process(next(LocalSource().walk(str(path), Settings())))
    assert result.extractor.startswith("office-legacy "), result
    item = ItemData(path.name, path=str(path))
    item.kind = result.kind
    return [s for s in LegacyOfficeExtractor().extract(item, Settings()) if isinstance(s, Segment)]


def test_xls_rows_and_cells() -> None:
    segs = segments(CRYPTO / "plain.xls")
    assert [(s.location, s.text) for s in segs] == [("Sheet1!rad 1", "lorem ipsum | 3")]
    assert segs[0].location_at(0) == "Sheet1!A1"  # type: ignore[attr-defined]


def test_doc_paragraphs() -> None:
    segs = segments(TIKA / "testWORD_various.doc")
    assert segs[0].location == "avsnitt 1" and "Footnote appears here" in segs[0].text
    assert len(segs) > 10


def test_ppt_slide_text() -> None:
    segs = segments(CRYPTO / "plain.ppt")
    assert [(s.location, s.text) for s in segs] == [("lysbilde 1", "Lorem ipsum")]


@pytest.mark.parametrize(
    "name",
    [
        "rc4cryptoapi_password.doc",
        "rc4cryptoapi_password.xls",
        "rc4cryptoapi_password.ppt",
        "xor_password_123456789012345.xls",
    ],
)
def test_encrypted_legacy_files(name: str) -> None:
    path = CRYPTO / name
    result = Engine(Settings()).process(next(LocalSource().walk(str(path), Settings())))
    assert result.unscannable and result.problems[0].reason.startswith("encrypted: password required")
    item = ItemData(path.name, path=str(path))
    item.kind = result.kind
    with pytest.raises(EncryptedError):
        list(LegacyOfficeExtractor().extract(item, Settings()))
