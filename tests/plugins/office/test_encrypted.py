"""The Agile key derivation of the default-password check against msoffcrypto-tool's.

``encrypted.agile_secret_key`` replaces msoffcrypto's ``makekey_from_password`` for Agile
files (a faster loop for the same [MS-OFFCRYPTO] 2.3.4.11/2.3.4.13 steps); these tests
hold the two to the same bytes and the extractor to the same outcome.
"""

from __future__ import annotations

import io
import random
from pathlib import Path

import msoffcrypto
import msoffcrypto.format.ooxml
import openpyxl
import pytest
from msoffcrypto.method.ecma376_agile import ECMA376Agile

from pvscan.model import EncryptedError, InnerItem, ItemData, Settings
from pvscan.plugins.office import encrypted
from pvscan.plugins.office.encrypted import EncryptedOfficeExtractor, agile_password_hash, agile_secret_key

REALDOCS = Path("/work/shared/realdocs")
PASSWORDS = ["VelvetSweatshop", "", "hemmelig", "Password1234_", "blåbær€🙂", "x" * 300]
SPINS = [0, 1, 2, 7, 1000, 100_000, 100_001]  # 100,001: the loop without cached counters


def salts(n: int, seed: int) -> list[bytes]:
    rnd = random.Random(seed)
    return [bytes(16), bytes(range(16))] + [rnd.randbytes(16) for _ in range(n)]


@pytest.mark.parametrize("spin", SPINS)
@pytest.mark.parametrize("hash_name", ["SHA1", "SHA256", "SHA384", "SHA512"])
def test_password_hash_is_msoffcryptos(spin: int, hash_name: str) -> None:
    cases = [(p, s) for p, s in zip(PASSWORDS, salts(len(PASSWORDS), spin), strict=False)]
    if spin > 1000:  # the long loops once each: their cost is the loop, not the inputs
        cases = cases[:1] if hash_name != "SHA512" else cases[:2]
    for password, salt in cases:
        theirs = ECMA376Agile._derive_iterated_hash_from_password(password, salt, hash_name, spin).digest()
        assert agile_password_hash(password, salt, hash_name, spin) == theirs


@pytest.mark.parametrize(
    ("hash_name", "key_bits"),
    [("SHA512", 256), ("SHA512", 128), ("SHA512", 192), ("SHA384", 256), ("SHA256", 256), ("SHA1", 128)],
)
def test_secret_key_is_msoffcryptos(hash_name: str, key_bits: int) -> None:
    rnd = random.Random(key_bits)
    for password in PASSWORDS:
        for salt in salts(3, len(password))[:3]:
            for spin in (0, 3, 500):
                value = rnd.randbytes(rnd.choice((16, 32, 48)))
                theirs = ECMA376Agile.makekey_from_password(password, salt, hash_name, value, spin, key_bits)
                assert agile_secret_key(password, salt, hash_name, value, spin, key_bits) == theirs


def test_secret_key_at_offices_default_spin_count() -> None:
    salt, value = bytes(range(16, 32)), bytes(range(32))
    theirs = ECMA376Agile.makekey_from_password("VelvetSweatshop", salt, "SHA512", value, 100_000, 256)
    assert agile_secret_key("VelvetSweatshop", salt, "SHA512", value, 100_000, 256) == theirs


def test_cases_not_handled_are_left_to_msoffcrypto() -> None:
    """An unknown hash name (msoffcrypto falls back to SHA-1) and a digest shorter than
    the key (the spec pads, msoffcrypto does not) give None, so msoffcrypto decides."""
    assert agile_secret_key("a", bytes(16), "MD5", bytes(32), 1, 256) is None
    assert agile_secret_key("a", bytes(16), "SHA1", bytes(32), 1, 256) is None
    with pytest.raises(ValueError):  # a bad salt (IV) fails as msoffcrypto's does
        agile_secret_key("a", bytes(15), "SHA512", bytes(32), 1, 256)


def encrypted_workbook(tmp_path: Path, password: str) -> ItemData:
    wb = openpyxl.Workbook()
    wb.active["A1"] = "Fødselsnummer"
    wb.active["A2"] = "hemmelig innhold"
    plain = tmp_path / "plain.xlsx"
    wb.save(plain)
    enc = tmp_path / f"{password or 'tom'}.xlsx"
    with open(plain, "rb") as fh, open(enc, "wb") as out:
        msoffcrypto.format.ooxml.OOXMLFile(fh).encrypt(password, out)
    item = ItemData(enc.name, path=str(enc), size=enc.stat().st_size)
    item.kind = "ooxml-encrypted"
    return item


def msoffcrypto_decrypts(path: str) -> bytes | None:
    """What the check gave before: msoffcrypto's own password path."""
    try:
        with open(path, "rb") as fh:
            office = msoffcrypto.OfficeFile(fh)
            office.load_key(password="VelvetSweatshop", verify_password=False)
            out = io.BytesIO()
            office.decrypt(out)
    except Exception:  # noqa: BLE001 - any failure: not the default password
        return None
    return out.getvalue()


def test_default_password_workbook_is_read(tmp_path: Path) -> None:
    item = encrypted_workbook(tmp_path, "VelvetSweatshop")
    pieces = list(EncryptedOfficeExtractor().extract(item, Settings()))
    assert [type(p) for p in pieces] == [InnerItem]
    data = pieces[0].data.read()  # type: ignore[union-attr]
    assert data == msoffcrypto_decrypts(item.path or "")
    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert wb.active["A2"].value == "hemmelig innhold"


@pytest.mark.parametrize("password", ["hemmelig", "velvetsweatshop"])
def test_other_password_is_reported_encrypted(tmp_path: Path, password: str) -> None:
    item = encrypted_workbook(tmp_path, password)
    with pytest.raises(EncryptedError, match="password required"):
        list(EncryptedOfficeExtractor().extract(item, Settings()))


def test_a_failing_fast_path_falls_back_to_msoffcrypto(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object) -> bytes:
        raise RuntimeError("fast path broken")

    monkeypatch.setattr(encrypted, "agile_secret_key", broken)
    item = encrypted_workbook(tmp_path, "VelvetSweatshop")
    assert [type(p) for p in EncryptedOfficeExtractor().extract(item, Settings())] == [InnerItem]


REAL = [
    # (file, what it is)
    ("poi/poifs/protected_agile.docx", "Agile, default password"),
    ("poi/spreadsheet/58616.xlsx", "Standard, default password"),
    ("tika/tika-parser-microsoft-module/protect.xlsx", "Standard, default password"),
    ("msoffcrypto-tool/tests/inputs/example_password.xlsx", "Agile, another password"),
    ("msoffcrypto-tool/tests/inputs/ecma376standard_password.docx", "Standard, another password"),
    ("poi/poifs/protected_sha512.xlsx", "Agile, another password"),
    ("poi/document/bug53475-password-is-pass.docx", "Agile, parameters msoffcrypto rejects"),
]


@pytest.mark.parametrize(("name", "what"), REAL)
def test_real_encrypted_files_give_what_msoffcrypto_gave(name: str, what: str) -> None:
    path = REALDOCS / name
    if not path.exists():
        pytest.skip(f"{path} not present")
    item = ItemData(path.name, path=str(path), size=path.stat().st_size)
    got = encrypted.try_default_password(item, Settings())
    expected = msoffcrypto_decrypts(str(path))
    assert (got is None) == ("default password" not in what)
    assert got == expected
