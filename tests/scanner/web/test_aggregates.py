"""The aggregates the leader and privacy-officer pages read, adjusted by every action,
equal what a full rebuild computes: pages never drift from the inventory."""

from __future__ import annotations

from pvscan.inventory import Inventory
from pvscan.workflows import handling
from pvscan.workflows.owners import route


def _snapshot(inv: Inventory) -> tuple:
    stats = sorted(
        (r["owner"], r["unit"], r["open_items"], r["handled_items"], r["sensitive_open"], r["oldest_open"])
        for r in inv.owner_stats_rows(None)
    )
    dims = sorted(
        (dim, r["key"], r["open_items"], r["handled_items"])
        for dim in ("unit", "source", "type", "sensitive_source")
        for r in inv.dim_stats_rows(dim)
    )
    return stats, dims


def test_actions_keep_the_aggregates_equal_to_a_rebuild(corpus):
    org = corpus.state.org
    with Inventory(corpus.db) as inv:
        kari, _n = inv.routed_page("kari", "all", limit=100)
        ola, _n = inv.routed_page("ola", "all", limit=100)
        by_name = {r["name"]: r["item_id"] for r in [*kari, *ola]}
        handling.set_item_status(inv, by_name["helsenotat.docx"], "archived", "", "kari")
        handling.set_item_status(inv, by_name["soknad.docx"], "obsolete", "", "kari")
        handling.set_item_status(inv, by_name["soknad.docx"], "open", "", "kari")
        handling.set_item_status(inv, by_name["lonn.docx"], "kept", "lønnsarkiv", "ola")
        (finding,) = inv.item_findings(by_name["notat.txt"])
        handling.false_positive_value(inv, by_name["notat.txt"], finding["hash"], "kari")
        handling.delete_item(corpus.db, inv, org, by_name["liste.xlsx"], "kari")
        incremental = _snapshot(inv)
        route(inv, org)
        assert _snapshot(inv) == incremental
