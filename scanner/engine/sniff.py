"""Type detection by magic bytes first, file name second.

Municipal shares are full of files whose extension lies (a .doc that is really RTF, a
.pdf that is an HTML error page, a .xls that is an .xlsx). The sniffed ``kind`` is what
extractors claim; the extension only breaks ties inside a container family.
"""

from __future__ import annotations

import zipfile

import olefile

from pvscan.model import ItemData

_ZIP_KINDS = {
    "word/": "docx",
    "xl/": "xlsx",
    "ppt/": "pptx",
}
_ODF_MIMES = {
    "application/vnd.oasis.opendocument.text": "odt",
    "application/vnd.oasis.opendocument.spreadsheet": "ods",
    "application/vnd.oasis.opendocument.presentation": "odp",
}
_OLE_BY_EXT = {
    "doc": "doc",
    "dot": "doc",
    "xls": "xls",
    "xlt": "xls",
    "ppt": "ppt",
    "pps": "ppt",
    "msg": "msg",
}
_MAIL_HEADERS = (
    b"received:",
    b"from:",
    b"return-path:",
    b"message-id:",
    b"mime-version:",
    b"date:",
    b"subject:",
    b"to:",
    b"delivered-to:",
    b"x-",
    b"content-type:",
    b"reply-to:",
    b"dkim-signature:",
    b"arc-",
    b"authentication-results:",
    b"thread-",
    b"in-reply-to:",
    b"references:",
    b"sender:",
    b"cc:",
)
_EMPTY_DOCUMENT_KINDS = {
    "pdf": "pdf",
    "docx": "docx",
    "docm": "docx",
    "xlsx": "xlsx",
    "xlsm": "xlsx",
    "pptx": "pptx",
    "odt": "odt",
    "ods": "ods",
    "odp": "odp",
    "doc": "doc",
    "xls": "xls",
    "ppt": "ppt",
}
_TEXT_EXT = {
    "txt",
    "csv",
    "log",
    "md",
    "tsv",
    "json",
    "xml",
    "ini",
    "cfg",
    "text",
    "tab",
    "sql",
    "yaml",
    "yml",
}


def sniff(item: ItemData) -> str:
    """Return the kind of ``item``: pdf, docx, xlsx, pptx, odt, ods, odp, zip, ole,
    doc, xls, ppt, msg, rtf, html, eml, mbox, png, jpeg, tiff, gif, bmp, webp, gzip,
    bzip2, xz, 7z, tar, text, empty or binary; ``plaintext`` for text in a file named
    as a binary format (the extension lies: only the text extractor claims it)."""
    head = item.head
    ext = item.extension
    if not head:
        # A zero-byte .docx or .pdf is a damaged document, not an empty text file: hand it
        # to its format's extractor, which reports it corrupt.
        return _EMPTY_DOCUMENT_KINDS.get(ext, "empty")
    if head.startswith(b"%PDF") or (b"%PDF-" in head[:1024] and ext == "pdf"):
        return "pdf"
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return _zip_kind(item)
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return _ole_kind(item)
    if head.startswith(b"{\\rtf"):
        return "rtf"
    if head.startswith(b"\x89PNG"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "tiff"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head[:2] == b"BM" and ext == "bmp":
        return "bmp"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head.startswith(b"\x1f\x8b"):
        return "gzip"
    if head.startswith(b"BZh"):
        return "bzip2"
    if head.startswith(b"\xfd7zXZ\x00"):
        return "xz"
    if head.startswith(b"7z\xbc\xaf\x27\x1c"):
        return "7z"
    if len(head) > 262 and head[257:262] == b"ustar":
        return "tar"
    if head.startswith(b"!BDN"):
        return "pst"
    if head.startswith(b"\x78\x9f\x3e\x22"):
        return "tnef"
    return _text_kind(head, ext)


def _zip_kind(item: ItemData) -> str:
    try:
        with item.open() as fh, zipfile.ZipFile(fh) as zf:
            names = zf.namelist()
            if "mimetype" in names:
                try:
                    mime = zf.read("mimetype")[:100].decode("ascii", "replace").strip()
                except Exception:
                    mime = ""
                if mime in _ODF_MIMES:
                    return _ODF_MIMES[mime]
            if "[Content_Types].xml" in names:
                for prefix, kind in _ZIP_KINDS.items():
                    if any(n.startswith(prefix) for n in names):
                        return kind
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError):
        # A truncated Office file: trust the extension so its extractor reports it corrupt.
        if item.extension in ("docx", "docm", "xlsx", "xlsm", "pptx", "pptm", "odt", "ods", "odp"):
            return {"docm": "docx", "xlsm": "xlsx", "pptm": "pptx"}.get(item.extension, item.extension)
    return "zip"


def _ole_kind(item: ItemData) -> str:
    """OLE2 compound files: legacy Office, Outlook .msg, and encrypted OOXML."""
    try:
        with item.open() as fh:
            ole = olefile.OleFileIO(fh)
            try:
                streams = {"/".join(s).lower() for s in ole.listdir(streams=True, storages=True)}
            finally:
                ole.close()
    except Exception:
        return _OLE_BY_EXT.get(item.extension, "ole")
    if "encryptioninfo" in streams or "encryptedpackage" in streams:
        return "ooxml-encrypted"
    if "worddocument" in streams:
        return "doc"
    if "workbook" in streams or "book" in streams:
        return "xls"
    if "powerpoint document" in streams:
        return "ppt"
    if any(s.startswith("__substg1.0_") or s.startswith("__properties_version1.0") for s in streams):
        return "msg"
    return _OLE_BY_EXT.get(item.extension, "ole")


def _looks_like_mail(head: bytes) -> bool:
    lines = head.replace(b"\r\n", b"\n").split(b"\n", 20)
    hits = 0
    for line in lines[:20]:
        if not line:
            break
        if line[:1] in (b" ", b"\t"):
            continue
        low = line.lower()
        if any(low.startswith(h) for h in _MAIL_HEADERS):
            hits += 1
        elif b":" not in line[:80]:
            return False
    return hits >= 2


def _text_kind(head: bytes, ext: str) -> str:
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "text"
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if stripped.startswith(b"from ") and ext not in _TEXT_EXT and b"\n" in head:
        second = head.split(b"\n", 1)[1]
        if _looks_like_mail(second) or ext == "mbox":
            return "mbox"
    if _looks_like_mail(head.lstrip(b"\xef\xbb\xbf")) and ext not in ("csv", "tsv"):
        return "eml"
    if stripped.startswith((b"<!doctype html", b"<html")) or (
        ext in ("htm", "html", "xhtml") and stripped.startswith(b"<")
    ):
        return "html"
    if b"\x00" in head[:4096]:
        # UTF-16 without BOM still has text-like structure; the text extractor decides.
        zeros = head[:4096].count(b"\x00")
        if zeros > len(head[:4096]) // 3 and ext in _TEXT_EXT:
            return "text"
        return "binary"
    if ext in _BINARY_DOCUMENT_EXT and _plain_text(head):
        return "plaintext"
    return "text"


#: Extensions of formats that are never plain text: a file named so whose bytes are
#: text (a CSV saved as .xls, a note renamed .pdf or .docx) is read as text.
_BINARY_DOCUMENT_EXT = frozenset(
    ("pdf", "doc", "docx", "docm", "xls", "xlsx", "xlsm", "xlsb", "ppt", "pptx", "odt", "ods", "odp")
    + ("png", "jpg", "jpeg", "gif", "tif", "tiff", "bmp", "webp", "zip", "msg", "pst")
)
#: C0 control bytes that never occur in text (tab, line feed, form feed, carriage
#: return and escape do).
_CONTROL = bytes(c for c in range(32) if c not in (9, 10, 12, 13, 27))


def _plain_text(head: bytes) -> bool:
    """``head`` is text through and through: no control bytes, and valid UTF-8 (a
    character cut at the end of the head allowed) or an 8-bit encoding's letters.
    Random or damaged bytes have control bytes within a few hundred bytes, so a
    document that is only damaged still goes to its own extractor (and is reported
    corrupt there)."""
    sample = head[:4096]
    if not sample.strip() or any(c in _CONTROL for c in sample):
        return False
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(sample) - 3:
            # cp1252/Latin-1 text: few bytes above 0x7f, and no C1 controls (0x80-0x9f)
            # except cp1252's printable ones
            high = sum(1 for c in sample if c > 0x7F)
            return high * 10 < len(sample) and not any(c in _C1_UNPRINTABLE for c in sample)
    return True


_C1_UNPRINTABLE = frozenset((0x81, 0x8D, 0x8F, 0x90, 0x9D))
