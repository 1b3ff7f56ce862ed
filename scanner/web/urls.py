"""The app's routes."""

from __future__ import annotations

from django.urls import path
from django.views.i18n import set_language

from pvscan.web.views import auth, common, dpo, employee, leader

urlpatterns = [
    path("", employee.index),
    path("item/<int:item_id>", employee.item),
    path("item/<int:item_id>/status", employee.set_status),
    path("item/<int:item_id>/false-positive", employee.false_positive),
    path("item/<int:item_id>/delete", employee.delete),
    path("item/<int:item_id>/restore", employee.restore),
    path("bulk", employee.bulk),
    path("checklist", employee.checklist),
    path("checklist.docx", employee.checklist_docx),
    path("leader", leader.leader),
    path("dpo", dpo.overview),
    path("dpo/undistributed", dpo.undistributed),
    path("dpo/audit", dpo.audit),
    path("cases", dpo.case_list),
    path("cases/<int:case_id>", dpo.case),
    path("cases/<int:case_id>/<path:name>", dpo.case_download),
    path("login", auth.local_login),
    path("oidc/login", auth.oidc_login),
    path("oidc/callback", auth.oidc_callback),
    path("logout", auth.logout),
    path("lang", set_language),
    path("static/<path:name>", common.static),
]
