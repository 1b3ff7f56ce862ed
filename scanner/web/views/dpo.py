"""The privacy officer's pages: the organisation's overview (from aggregates),
undistributed items, quarantine, the audit log; and the access-request cases, open to
caseworkers too. Every page view is written to the audit log."""

from __future__ import annotations

import os
import time
from datetime import date, timedelta
from typing import Any

from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pvscan.util.i18n import type_name
from pvscan.web.state import current
from pvscan.web.views.common import Paging, forbidden, inventory, lang_of, log_view, page, types_label, viewer
from pvscan.workflows import cases, deletion
from pvscan.workflows.handling import approve_plan
from pvscan.workflows.owners import assign


def _share(o: int, h: int) -> int:
    return round(100 * h / (o + h)) if o + h else 0


def _dim(rows: list[Any], label: Any = None) -> list[dict[str, Any]]:
    return [
        {
            "key": label(r["key"]) if label else r["key"],
            "open": r["open_items"],
            "handled": r["handled_items"],
            "share": _share(r["open_items"], r["handled_items"]),
        }
        for r in rows
    ]


def monthly(rows: list[Any]) -> list[dict[str, Any]]:
    months: dict[str, Any] = {}
    for r in rows:
        months[r["day"][:7]] = r
    return [
        {"label": m, "open": r["open_items"], "handled": r["handled_items"]}
        for m, r in sorted(months.items())
    ]


@require_GET
def overview(request: HttpRequest) -> HttpResponse:
    v = viewer(request)
    if not v.dpo:
        return forbidden(request)
    org = current().org
    lang = lang_of(request)
    with inventory() as inv:
        units = _dim(
            inv.dim_stats_rows("unit"),
            lambda k: (org.units[k].name if k in org.units else k) or _("(no unit)"),
        )
        by_type = _dim(inv.dim_stats_rows("type"), lambda k: type_name(k, lang))
        by_source = _dim(inv.dim_stats_rows("source"))
        sensitive = _dim(inv.dim_stats_rows("sensitive_source"))
        trend = monthly(inv.history(None, (date.today() - timedelta(days=366)).isoformat()))
        overdue = []
        now = time.time()
        for r in org.roots:
            days = org.retention_for(r.path, r.unit)
            if days:
                n = inv.overdue_count(r.path, None, int((now - days * 86400) * 1e9))
                overdue.append({"where": r.path, "days": days, "n": n})
        for u in org.units.values():
            if u.retention_days:
                n = inv.overdue_count(None, u.id, int((now - u.retention_days * 86400) * 1e9))
                overdue.append({"where": u.name, "days": u.retention_days, "n": n})
        if org.retention_days:
            n = inv.overdue_count(None, None, int((now - org.retention_days * 86400) * 1e9))
            overdue.append({"where": _("Whole organisation"), "days": org.retention_days, "n": n})
        coverage = [{"reason": r["key"], "n": r["open_items"]} for r in inv.dim_stats_rows("coverage")[:15]]
        _rows, undistributed = inv.routed_page("", "open", limit=1)
        log_view(inv, request, "overview")
    total_open = sum(u["open"] for u in units)
    total_handled = sum(u["handled"] for u in units)
    ctx = {
        "title": _("Overview for the privacy officer"),
        "open": total_open,
        "handled": total_handled,
        "share": _share(total_open, total_handled),
        "units": units,
        "by_type": by_type,
        "by_source": by_source,
        "sensitive": sensitive,
        "trend": trend,
        "overdue": overdue,
        "coverage": coverage,
        "undistributed": undistributed,
        "quarantine": deletion.quarantined(org.quarantine or None)[:20],
        "plans": [
            {
                "id": p.id,
                "created": p.created,
                "remove": p.count("quarantine") + p.count("delete"),
                "keep": p.count("keep"),
                "other": len(p.entries) - p.count("quarantine") - p.count("delete") - p.count("keep"),
            }
            for p in deletion.pending_plans(org.plan_dir or None, org.audit_log or None)[:20]
        ],
        "msg": request.GET.get("msg", ""),
    }
    return page(request, "dpo.html", ctx)


@require_http_methods(["GET", "POST"])
def undistributed(request: HttpRequest) -> HttpResponse:
    v = viewer(request)
    if not v.dpo:
        return forbidden(request)
    lang = lang_of(request)
    org = current().org
    if request.method == "POST":
        owner = request.POST.get("owner", "").strip()
        raw = request.POST.get("item", "")
        if not raw.isdigit() or not owner or (org.users and owner not in org.users):
            return HttpResponse(status=400)
        with inventory() as inv:
            row = inv.routed_item(int(raw))
            if row is None or row["owner"]:
                return forbidden(request)
            assign(inv, org, int(raw), owner, v.user)
        return HttpResponseRedirect("/dpo/undistributed")
    with inventory() as inv:
        _rows, total = inv.routed_page("", "open", limit=1)
        paging = Paging.of(request, total)
        rows, _total = inv.routed_page("", "open", limit=paging.limit, offset=paging.offset)
        log_view(inv, request, "undistributed", f"page:{paging.page}")
    items = [
        {
            "id": r["item_id"],
            "display": r["display"],
            "root": r["root"],
            "types": types_label(r["types"], lang),
            "findings": r["findings"],
        }
        for r in rows
    ]
    ctx = {
        "title": _("Undistributed findings"),
        "items": items,
        "paging": paging,
        "links": paging.links(request),
        "users": sorted(org.users),
    }
    return page(request, "undistributed.html", ctx)


@require_GET
def audit(request: HttpRequest) -> HttpResponse:
    if not viewer(request).dpo:
        return forbidden(request)
    with inventory() as inv:
        _rows, total = inv.audit_rows(limit=1)
        paging = Paging.of(request, total, 50)
        rows, _t = inv.audit_rows(paging.limit, paging.offset)
        log_view(inv, request, "audit", f"page:{paging.page}")
    return page(
        request,
        "audit.html",
        {"title": _("Audit log"), "rows": rows, "paging": paging, "links": paging.links(request)},
    )


@require_http_methods(["GET", "POST"])
def case_list(request: HttpRequest) -> HttpResponse:
    v = viewer(request)
    if not v.caseworker:
        return forbidden(request)
    error = ""
    if request.method == "POST":
        numbers = [n for n in request.POST.get("numbers", "").replace(",", "\n").splitlines() if n.strip()][
            :10
        ]
        with inventory() as inv:
            try:
                case_id = cases.open_case(
                    current().db,
                    inv,
                    current().org,
                    numbers,
                    v.user,
                    lang_of(request),
                    copies=request.POST.get("copies") == "1",
                )
            except ValueError:
                # Not the parser's own message: it repeats the typed value, and no
                # identifier goes into a page.
                error = _(
                    "Check the search keys: one per line, each a fødselsnummer, D-nummer, "
                    "kontonummer, full name, e-mail address or phone number."
                )
            else:
                return HttpResponseRedirect(f"/cases/{case_id}")
    with inventory() as inv:
        rows = inv.case_rows()
        log_view(inv, request, "cases")
    return page(
        request,
        "cases.html",
        {"title": _("Access requests"), "cases": rows, "error": error},
        400 if error else 200,
    )


@require_GET
def case(request: HttpRequest, case_id: int) -> HttpResponse:
    v = viewer(request)
    if not v.caseworker:
        return forbidden(request)
    lang = lang_of(request)
    with inventory() as inv:
        row = inv.case_row(case_id)
        if row is None:
            return forbidden(request)
        hits = cases.case_hits(inv, case_id)
        files = cases.case_files(inv, case_id)
        log_view(inv, request, f"case:{case_id}")
    items = [
        {
            "display": h.display,
            "where": " / ".join(x for x in (h.inner, h.location) if x),
            "type": type_name(h.type, lang),
            "masked": h.masked,
            "owner": h.owner,
        }
        for h in hits
    ]
    ctx = {
        "title": _("Access request %(id)s") % {"id": case_id},
        "case": row,
        "hits": items,
        "downloads": [f for f in files if "/" not in f],
        "copies": [(f, f.split("/", 1)[1]) for f in files if "/" in f],
    }
    return page(request, "case.html", ctx)


@require_GET
def case_download(request: HttpRequest, case_id: int, name: str) -> HttpResponse:
    v = viewer(request)
    if not v.caseworker:
        return forbidden(request)
    with inventory() as inv:
        try:
            path = cases.case_file(inv, case_id, name)
        except LookupError:
            return forbidden(request)
        log_view(inv, request, f"case:{case_id}", f"download:{name}")
    return FileResponse(open(path, "rb"), as_attachment=True, filename=os.path.basename(path))


@require_POST
def approve(request: HttpRequest) -> HttpResponse:
    v = viewer(request)
    if not v.dpo:
        return forbidden(request)
    with inventory() as inv:
        out = approve_plan(current().db, inv, current().org, request.POST.get("plan", ""), v.user)
    return HttpResponseRedirect("/dpo?msg=" + ("approved" if out.ok else "unknown"))
