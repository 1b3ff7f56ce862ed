"""The employee's pages: my files with findings (the default page), one file's
findings, the handling actions, and the pre-filled checklist.

Every item is looked up together with its owner and shown or changed only when the
owner is the signed-in person; anything else answers 404, the same as an id that does
not exist, so guessing ids tells nothing.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from datetime import datetime
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from pvscan.inventory import Inventory
from pvscan.util.i18n import t, type_name
from pvscan.web.policy import owns
from pvscan.web.state import current
from pvscan.web.views.common import Paging, forbidden, inventory, lang_of, log_view, page, types_label, viewer
from pvscan.workflows import handling
from pvscan.workflows.checklist import answers, write_checklist
from pvscan.workflows.reportdata import build
from pvscan.workflows.review import STATUSES

STATUS_FILTERS = ("open", "handled", "all", *STATUSES[1:])


def _date(ns: int) -> str:
    return datetime.fromtimestamp(ns / 1e9).strftime("%Y-%m-%d") if ns else ""


def status_label(status: str, lang: str) -> str:
    return t(f"wf.status.{status}", lang)


def _overdue_cutoff(root: str, unit: str) -> int | None:
    days = current().org.retention_for(root, unit)
    return int((time.time() - days * 86400) * 1e9) if days else None


def _sample(findings: list[Any], lang: str) -> str:
    """A short masked context: the first values with type and place."""
    return "; ".join(
        f"{f['masked']} ({', '.join(x for x in (f['inner'], f['location']) if x) or type_name(f['type'], lang)})"
        for f in findings
    )


def _item_view(r: Any, lang: str, sample: list[Any] | None = None) -> dict[str, Any]:
    cutoff = _overdue_cutoff(r["root"], r["unit"])
    return {
        "sample": _sample(sample or [], lang),
        "id": r["item_id"],
        "name": r["name"],
        "folder": os.path.dirname(r["display"]),
        "types": types_label(r["types"], lang),
        "findings": r["findings"],
        "sensitive": bool(r["sensitive"]),
        "modified": _date(r["mtime_ns"]),
        "status": r["status"],
        "status_label": status_label(r["status"], lang),
        "overdue": cutoff is not None and r["mtime_ns"] < cutoff and r["status"] == "open",
    }


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    v = viewer(request)
    lang = lang_of(request)
    status = request.GET.get("status", "open")
    status = status if status in STATUS_FILTERS else "open"
    type_ = request.GET.get("type", "")
    q = request.GET.get("q", "").strip()[:100]
    with inventory() as inv:
        types = inv.routed_types_of(v.user)
        type_ = type_ if type_ in types else ""
        asked = Paging.requested(request)
        rows, total = inv.routed_page(v.user, status, type_, q, limit=asked.limit, offset=asked.offset)
        paging = Paging.of(request, total)
        if paging.offset != asked.offset:  # past the last page: show the last one
            rows, total = inv.routed_page(v.user, status, type_, q, limit=paging.limit, offset=paging.offset)
        samples = inv.finding_samples([r["item_id"] for r in rows])
        log_view(inv, request, "my-files", f"page:{paging.page}")
    ctx = {
        "title": _("My files with personal data"),
        "items": [_item_view(r, lang, samples[r["item_id"]]) for r in rows],
        "paging": paging,
        "links": paging.links(request),
        "status": status,
        "statuses": [
            (
                s,
                _("Open")
                if s == "open"
                else _("Handled")
                if s == "handled"
                else _("All")
                if s == "all"
                else status_label(s, lang),
            )
            for s in STATUS_FILTERS
        ],
        "type": type_,
        "types": [(k, type_name(k, lang)) for k in types],
        "q": q,
        "choosable": [(s, status_label(s, lang)) for s in handling.CHOOSABLE if s != "open"],
        "done": request.GET.get("done", ""),
    }
    template = "items_table.html" if request.headers.get("HX-Request") else "employee.html"
    return page(request, template, ctx)


def _mine(inv: Inventory, request: HttpRequest, item_id: int) -> Any:
    r = inv.routed_item(item_id)
    return r if owns(viewer(request), r) else None


@require_GET
def item(request: HttpRequest, item_id: int) -> HttpResponse:
    lang = lang_of(request)
    with inventory() as inv:
        r = _mine(inv, request, item_id)
        if r is None:
            return forbidden(request)
        findings = [
            {
                "type": type_name(f["type"], lang),
                "masked": f["masked"],
                "where": " / ".join(x for x in (f["inner"], f["location"]) if x),
                "count": f["count"],
                "hash": f["hash"],
            }
            for f in inv.item_findings(item_id)
        ]
        log_view(inv, request, f"item:{item_id}")
    org = current().org
    path = os.fsdecode(bytes(r["path"]))
    ctx = {
        "title": r["name"],
        "item": _item_view(r, lang),
        "display": r["display"],
        "findings": findings,
        "can_delete": org.deletion_allowed(path) and r["status"] != "deleted" and r["source"] == "local",
        "can_restore": r["status"] == "deleted",
        "choosable": [(s, status_label(s, lang)) for s in handling.CHOOSABLE],
        "quarantine_days": org.quarantine_days,
        "msg": request.GET.get("msg", ""),
    }
    return page(request, "item.html", ctx)


def _back(item_id: int, msg: str) -> HttpResponse:
    return HttpResponseRedirect(f"/item/{item_id}?msg={msg}")


@require_POST
def set_status(request: HttpRequest, item_id: int) -> HttpResponse:
    status = request.POST.get("status", "")
    if status not in handling.CHOOSABLE:
        return HttpResponse(status=400)
    with inventory() as inv:
        if _mine(inv, request, item_id) is None:
            return forbidden(request)
        out = handling.set_item_status(
            inv, item_id, status, request.POST.get("reason", ""), viewer(request).user
        )
    return _back(item_id, "saved" if out.ok else out.reason)


@require_POST
def bulk(request: HttpRequest) -> HttpResponse:
    status = request.POST.get("status", "")
    if status not in handling.CHOOSABLE:
        return HttpResponse(status=400)
    done = 0
    with inventory() as inv:
        for raw in request.POST.getlist("item")[:500]:
            if not raw.isdigit() or _mine(inv, request, int(raw)) is None:
                continue
            out = handling.set_item_status(
                inv, int(raw), status, request.POST.get("reason", ""), viewer(request).user
            )
            done += int(out.ok)
    return HttpResponseRedirect(f"/?done={done}")


@require_POST
def false_positive(request: HttpRequest, item_id: int) -> HttpResponse:
    value_hash = request.POST.get("hash", "")
    with inventory() as inv:
        if _mine(inv, request, item_id) is None:
            return forbidden(request)
        if value_hash not in {f["hash"] for f in inv.item_findings(item_id)}:
            return forbidden(request)
        handling.false_positive_value(inv, item_id, value_hash, viewer(request).user)
    return _back(item_id, "false_positive")


@require_POST
def delete(request: HttpRequest, item_id: int) -> HttpResponse:
    with inventory() as inv:
        if _mine(inv, request, item_id) is None:
            return forbidden(request)
        out = handling.delete_item(current().db, inv, current().org, item_id, viewer(request).user)
    return _back(item_id, "deleted" if out.ok else out.reason)


@require_POST
def restore(request: HttpRequest, item_id: int) -> HttpResponse:
    with inventory() as inv:
        if _mine(inv, request, item_id) is None:
            return forbidden(request)
        out = handling.restore_item(current().db, inv, current().org, item_id, viewer(request).user)
    return _back(item_id, "restored" if out.ok else out.reason)


@require_GET
def checklist(request: HttpRequest) -> HttpResponse:
    v = viewer(request)
    lang = lang_of(request)
    with inventory() as inv:
        ids = inv.routed_ids(v.user)
        log_view(inv, request, "checklist")
    data = build(current().db, lang=lang, item_ids=ids)
    return page(
        request,
        "checklist.html",
        {"title": _("Checklist for unstructured personal data"), "answers": answers(data, lang)},
    )


@require_GET
def checklist_docx(request: HttpRequest) -> HttpResponse:
    v = viewer(request)
    with inventory() as inv:
        ids = inv.routed_ids(v.user)
    tmp = tempfile.mkdtemp(prefix="pvscan-chk-")
    try:
        files, _ans = write_checklist(current().db, tmp, scope=v.user, lang=lang_of(request), item_ids=ids)
        with open(files[0], "rb") as fh:
            body = fh.read()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    with inventory() as inv:
        log_view(inv, request, "checklist-download")
    response = HttpResponse(
        body, content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    response["Content-Disposition"] = 'attachment; filename="sjekkliste.docx"'
    return response
