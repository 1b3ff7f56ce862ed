"""The HTML extractor."""

from __future__ import annotations

from pathlib import Path

from pvscan.engine.process import Engine
from pvscan.model import ItemData, Segment, Settings
from pvscan.plugins.documents.html import HtmlExtractor
from pvscan.plugins.sources.local import LocalSource
from pvscan.testing import fnr_from as fnr


def test_text_tables_and_skipped_script(tmp_path: Path) -> None:
    a, b, hidden = fnr(8, 8, 48, 480), fnr(9, 9, 49, 490), fnr(10, 10, 50, 500)
    page = f"""<!DOCTYPE html><html><head><meta charset="windows-1252"><title>Søknad</title>
    <script>var x = "{hidden}";</script><style>p {{ color: red }}</style></head>
    <body><p>Søker</p><p>F&oslash;dselsnummer <b>{a}</b></p>
    <table><tr><th>Navn</th><th>Fnr</th></tr><tr><td>Kari</td><td>{b}</td></tr></table>
    <!-- {hidden} --></body></html>"""
    path = tmp_path / "side.html"
    path.write_bytes(page.encode("cp1252"))
    assert Engine(Settings()).process(next(LocalSource().walk(str(path), Settings()))).kind == "html"
    item = ItemData(path.name, path=str(path))
    item.kind = "html"
    segs = [s for s in HtmlExtractor().extract(item, Settings()) if isinstance(s, Segment)]
    assert segs[0].location == "tittel" and segs[0].text == "Søknad"
    seg = next(s for s in segs if a in s.text)
    assert seg.text == f"Fødselsnummer {a}" and seg.context == "Søker"
    r = next(s for s in segs if b in s.text)
    assert r.text == f"Kari | {b}" and r.context == "Navn | Fnr"
    assert not any(hidden in s.text for s in segs)
