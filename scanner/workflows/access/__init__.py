"""Access requests (innsyn, GDPR art. 15): everything the inventory knows about one person.

``access_request`` finds every file and mail item holding the person's numbers by keyed
hash, lists where (file, attachment, location), what else is in the same document
(health data, other categories, how many other persons' numbers), since when, and
writes a case folder: ``oversikt.xlsx``, a printable ``oversikt.html`` and, on request,
copies with other persons' identifiers blacked out.

Redaction needs the raw values of *other* persons' numbers, which the inventory never
holds. The original file is read again (read-only) by the detection engine at export
time; every identifier whose keyed hash is not one of the requester's is blacked out,
in memory, and the copy is then scanned again to check that none is left. Raw values
are never written anywhere but into the (redacted) copy's surroundings.
"""

from pvscan.workflows.access.case import access_request, make_copy
from pvscan.workflows.access.query import AccessItem, AccessResult, collect

__all__ = ["AccessItem", "AccessResult", "access_request", "collect", "make_copy"]
