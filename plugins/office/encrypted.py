"""Encrypted Office 2007+ files (.docx/.xlsx/.pptx with a password to open).

Office stores these as an OLE compound file holding ``EncryptionInfo`` and
``EncryptedPackage`` streams; sniffing names that kind ``ooxml-encrypted``. They cannot
be read without the password, so they are reported ``encrypted: password required``.
One exception is tried first, because Excel uses it for workbooks that are only
"protected" and opens them without asking: the fixed default password
``VelvetSweatshop``. msoffcrypto-tool decrypts such a file in memory and the plain
package is scanned as an inner item.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator

from pvscan import hookimpl
from pvscan.interfaces import Extractor
from pvscan.model import EncryptedError, Extracted, InnerItem, ItemData, LimitExceeded, Settings

DEFAULT_PASSWORD = "VelvetSweatshop"


def try_default_password(item: ItemData, settings: Settings) -> bytes | None:
    """The decrypted package when the file uses Excel's default password, else None.

    The key is derived once: ``verify_password=True`` would run the password hash (100,000
    SHA-512 rounds for Agile encryption, about 0.1-0.45 s) a second time just to check
    the verifier. Instead the package is decrypted with the unverified key and accepted
    only if the result is a zip package, which a wrong key cannot produce (msoffcrypto
    checks this too; it is repeated here so the outcome does not depend on its version).
    """
    try:
        # Deferred: msoffcrypto-tool loads only for encrypted Office files.
        import msoffcrypto

        with item.open() as fh:
            office = msoffcrypto.OfficeFile(fh)
            office.load_key(password=DEFAULT_PASSWORD, verify_password=False)
            out = io.BytesIO()
            office.decrypt(out)
    except Exception:  # noqa: BLE001 - any failure means "a real password is needed"
        return None
    if not zipfile.is_zipfile(out):
        return None
    data = out.getvalue()
    if len(data) > settings.max_unpacked_bytes:
        raise LimitExceeded(
            f"decrypted package is {len(data)} bytes, over the limit of {settings.max_unpacked_bytes}"
        )
    return data


class EncryptedOfficeExtractor(Extractor):
    name = "encrypted"
    version = "1"
    kinds = ("ooxml-encrypted",)

    def extract(self, item: ItemData, settings: Settings) -> Iterator[Extracted]:
        if item.size <= settings.max_unpacked_bytes:
            data = try_default_password(item, settings)
            if data is not None:
                name = item.name.rsplit("/", 1)[-1]
                yield InnerItem(f"dekryptert: {name}", ItemData(name, data=data))
                return
        raise EncryptedError("password required (encrypted Office document)")


@hookimpl
def pvscan_extractors() -> list[Extractor]:
    return [EncryptedOfficeExtractor()]
