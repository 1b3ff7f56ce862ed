"""The linked facts kept with a name finding."""

from __future__ import annotations

from pvscan.identity.masking import LINKED_PREFIX, linked_facts, merge_links


def test_merge_links_keeps_the_facts_of_every_find() -> None:
    # A letter names the person twice on one page: the address block says nothing,
    # the "Gjelder:" line gives the number's birth date.
    assert merge_links(None, f"{LINKED_PREFIX}f=010190") == f"{LINKED_PREFIX}f=010190"
    merged = merge_links(f"{LINKED_PREFIX}t=abc", f"{LINKED_PREFIX}f=010190,t=abc")
    assert linked_facts(merged) == {"f": {"010190"}, "t": {"abc"}}
    assert merge_links(f"{LINKED_PREFIX}f=010190", None) == f"{LINKED_PREFIX}f=010190"
    # Another detector's variant (not linked facts) is left as it was.
    assert merge_links("dnr", f"{LINKED_PREFIX}f=010190") == "dnr"
