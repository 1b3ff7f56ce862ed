"""A result crosses the broker as JSON and comes back equal: every field of
ItemResult, so a distributed scan stores what a local one does."""

from __future__ import annotations

import json
from dataclasses import fields

from pvscan.engine.remote import result_from_wire, result_to_wire
from pvscan.model import Finding, ItemRef, ItemResult, Problem


def test_every_item_result_field_survives_the_wire():
    res = ItemResult(
        ref=ItemRef("local", "/srv/a.pyc", "/srv/a.pyc", 10, 5, "1:2", "kari", (("uid", 1000),)),
        findings=[Finding("fodselsnummer", "01019012345", "linje 1", "high", "identifiers", "fnr")],
        problems=[Problem("vedlegg: x.pdf", "corrupt: truncated")],
        kind="binary",
        extractor="text 1",
        inner_items=2,
        unscannable=False,
        elapsed=0.25,
        skipped="program: binary (pyc)",
        counters={"ocr.pages_read": 3},
    )
    back = result_from_wire(json.loads(json.dumps(result_to_wire(res))))
    for f in fields(ItemResult):
        if f.name != "ref":
            assert getattr(back, f.name) == getattr(res, f.name), f.name
    assert back.ref.url == res.ref.url and back.ref.stamp() == res.ref.stamp()
