"""Encrypted Office 2007+ files (.docx/.xlsx/.pptx with a password to open).

Office stores these as an OLE compound file holding ``EncryptionInfo`` and
``EncryptedPackage`` streams; sniffing names that kind ``ooxml-encrypted``. They cannot
be read without the password, so they are reported ``encrypted: password required``.
One exception is tried first, because Excel uses it for workbooks that are only
"protected" and opens them without asking: the fixed default password
``VelvetSweatshop``. msoffcrypto-tool decrypts such a file in memory and the plain
package is scanned as an inner item.

For Agile encryption (what Office 2010 and later write) the password-to-key step is done
here rather than in msoffcrypto-tool: it is 100,000 chained SHA-512 rounds, and
msoffcrypto's pure-Python loop spends more time building counters and hash objects than
hashing. ``agile_secret_key`` follows [MS-OFFCRYPTO] 2.3.4.11 (password hash and
encryption key) and 2.3.4.13 (the ``encryptedKeyValue`` that holds the package key) with
a tighter loop; the key it yields is handed to msoffcrypto, which decrypts the package as
before. Anything else (Standard encryption, odd parameters, any error) goes through
msoffcrypto's own password path, so the outcome never depends on which path ran.
"""

from __future__ import annotations

import hashlib
import io
import struct
import zipfile
from collections.abc import Callable, Iterator

from pvscan import hookimpl
from pvscan.interfaces import Extractor
from pvscan.model import EncryptedError, Extracted, InnerItem, ItemData, LimitExceeded, Settings

DEFAULT_PASSWORD = "VelvetSweatshop"

# [MS-OFFCRYPTO] 2.3.4.13: block key of the encryption key that wraps encryptedKeyValue.
BLOCK_KEY_ENCRYPTED_KEY_VALUE = bytes((0x14, 0x6E, 0x0B, 0xE7, 0xAB, 0xAC, 0xD0, 0xD6))


def _builtin_sha512() -> Callable[[bytes], hashlib._Hash]:
    """CPython's own SHA-512 when present, else hashlib's (OpenSSL) one.

    The digest is the same; what differs is the cost of one call. The iterated hash makes
    100,000 hash objects of 68 bytes each, and for such tiny inputs OpenSSL's per-object
    setup (EVP context) costs more than the hashing: the built-in module ran the loop
    about 1.4 times faster than ``hashlib.sha512`` here. The module is named ``_sha2`` from
    Python 3.12 and ``_sha512`` before; builds without it fall back to ``hashlib``.
    """
    try:
        # Deferred: which private module exists depends on the Python version.
        from _sha2 import sha512  # type: ignore[import-not-found]
    except ImportError:
        try:
            # Deferred: see above (Python 3.11 and older).
            from _sha512 import sha512  # type: ignore[import-not-found,no-redef]
        except ImportError:
            return hashlib.sha512
    return sha512  # type: ignore[no-any-return]


# The hash algorithms [MS-OFFCRYPTO] 2.3.4.10 allows for an Agile password key encryptor
# that msoffcrypto-tool also knows; any other name is left to msoffcrypto.
AGILE_HASHES: dict[str, Callable[[bytes], hashlib._Hash]] = {
    "SHA1": hashlib.sha1,
    "SHA256": hashlib.sha256,
    "SHA384": hashlib.sha384,
    "SHA512": _builtin_sha512(),
}

#: The little-endian 32-bit iteration numbers of the loop, packed as it goes: a cached
#: table of them (4.5 MB for Office's 100,000 rounds, held by every worker that met one
#: encrypted file) saved a seventh of the loop's time, not worth the memory.
_PACK_COUNTER = struct.Struct("<I").pack


def agile_password_hash(password: str, salt: bytes, hash_name: str, spin_count: int) -> bytes:
    """H_n of [MS-OFFCRYPTO] 2.3.4.11: H_0 = H(salt + password as UTF-16LE), then
    H_(i+1) = H(i as 32-bit little-endian + H_i) for i = 0 .. spin_count-1.

    The same value as msoffcrypto's ``ECMA376Agile._derive_iterated_hash_from_password``
    (``.digest()`` of it), computed with a bound constructor and digests chained as bytes.
    """
    new = AGILE_HASHES[hash_name]
    h = new(salt + password.encode("utf-16-le")).digest()
    for counter in map(_PACK_COUNTER, range(spin_count)):
        h = new(counter + h).digest()
    return h


def agile_secret_key(
    password: str,
    salt: bytes,
    hash_name: str,
    encrypted_key_value: bytes,
    spin_count: int,
    key_bits: int,
) -> bytes | None:
    """The package key of an Agile-encrypted file for this password, or None when these
    parameters are not a case handled here (the caller then uses msoffcrypto).

    [MS-OFFCRYPTO] 2.3.4.11: the encryption key is H(H_n + block key) cut to keyBits/8
    bytes; 2.3.4.13: the package key is encryptedKeyValue decrypted with it by AES-CBC,
    the password salt being the IV. Equal to msoffcrypto's
    ``ECMA376Agile.makekey_from_password`` with the same arguments. A digest shorter than
    the key is padded with 0x36 by the spec but not by msoffcrypto, so that case (and an
    unknown hash name, which msoffcrypto treats as SHA-1) is left to msoffcrypto to keep
    the outcome its own.
    """
    new = AGILE_HASHES.get(hash_name)
    key_bytes = key_bits // 8
    if new is None or new().digest_size < key_bytes:
        return None
    # Deferred: cryptography loads only for encrypted Office files (msoffcrypto needs it too).
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    hashed = agile_password_hash(password, salt, hash_name, spin_count)
    key = new(hashed + BLOCK_KEY_ENCRYPTED_KEY_VALUE).digest()[:key_bytes]
    decryptor = Cipher(algorithms.AES(key), modes.CBC(salt)).decryptor()
    return decryptor.update(encrypted_key_value) + decryptor.finalize()


def _load_default_key(office: object) -> None:
    """Give ``office`` (an msoffcrypto file) the key for the default password.

    Agile files get the key from ``agile_secret_key``; everything else, and any Agile
    file it declines or fails on, through msoffcrypto's own ``load_key(password=...)``.
    """
    if getattr(office, "type", None) == "agile":
        try:
            info = office.info  # type: ignore[attr-defined]
            key = agile_secret_key(
                DEFAULT_PASSWORD,
                info["passwordSalt"],
                info["passwordHashAlgorithm"],
                info["encryptedKeyValue"],
                info["spinValue"],
                info["passwordKeyBits"],
            )
        except Exception:  # noqa: BLE001 - msoffcrypto's path below decides instead
            key = None
        if key:
            office.load_key(secret_key=key)  # type: ignore[attr-defined]
            return
    office.load_key(password=DEFAULT_PASSWORD, verify_password=False)  # type: ignore[attr-defined]


def try_default_password(item: ItemData, settings: Settings) -> bytes | None:
    """The decrypted package when the file uses Excel's default password, else None.

    The key is derived once: ``verify_password=True`` would run the password hash (100,000
    SHA-512 rounds for Agile encryption, see ``agile_secret_key``) a second time just to check
    the verifier. Instead the package is decrypted with the unverified key and accepted
    only if the result is a zip package, which a wrong key cannot produce (msoffcrypto
    checks this too; it is repeated here so the outcome does not depend on its version).
    """
    try:
        # Deferred: msoffcrypto-tool loads only for encrypted Office files.
        import msoffcrypto

        with item.open() as fh:
            office = msoffcrypto.OfficeFile(fh)
            _load_default_key(office)
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
