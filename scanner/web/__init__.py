"""``pvscan serve``: the web app where findings reach their owners and get handled.

A Django app configured in code (no project checkout, no Django database: sessions are
signed cookies, everything else lives in the pvscan inventory, reached only through
:class:`pvscan.inventory.Inventory` and the workflows). Employees handle their own files,
leaders follow up their unit from aggregates, the privacy officer has the overview and
the access-request cases. Roles are decided on the server for every request
(:mod:`pvscan.web.policy`).
"""
