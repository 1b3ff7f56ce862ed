"""Files that are not documents: programs and media, recognised when no extractor
claims an item.

A home folder of a developer holds hundreds of thousands of compiled files (``.pyc``,
``.class``, ``.so``, fonts …). They are not where personal data is kept, and reporting
each as "could not be read" buries the few documents that really could not be read
(and turns every scan's exit code into 1). They are skipped by type and counted in the
coverage record as "program files, not read".

Audio and video are different: the handbook names sound recordings and surveillance
video as unstructured personal data. pvscan does not read them, so they are skipped
too, but listed by name in the coverage record and the checklist as media that may
hold personal data.
"""

from __future__ import annotations

from pvscan.model import ItemData

PROGRAM = "program"
MEDIA = "media"

_PROGRAM_EXT = frozenset(
    "pyc pyo pyd so dll exe o a lib obj dylib class wasm ttf otf woff woff2 ttc eot fon pfb bin elc "
    "beam mo gmo nib".split()
)
_MEDIA_EXT = frozenset(
    "mp3 wav m4a aac ogg oga opus flac wma amr aiff aif aifc au snd mid midi "
    "mp4 m4v mov avi mkv wmv webm mpg mpeg 3gp flv ts vob mts m2ts".split()
)
#: (offset, magic) of program files: ELF, PE, Mach-O (32/64, both byte orders), Java
#: class and Mach-O fat binaries (both 0xCAFEBABE), WebAssembly, fonts.
_PROGRAM_MAGIC = (
    (0, b"\x7fELF"),
    (0, b"MZ"),
    (0, b"\xfe\xed\xfa\xce"),
    (0, b"\xfe\xed\xfa\xcf"),
    (0, b"\xce\xfa\xed\xfe"),
    (0, b"\xcf\xfa\xed\xfe"),
    (0, b"\xca\xfe\xba\xbe"),
    (0, b"\x00asm"),
    (0, b"\x00\x01\x00\x00\x00"),
    (0, b"OTTO"),
    (0, b"wOFF"),
    (0, b"wOF2"),
    (0, b"ttcf"),
)
_MEDIA_MAGIC = (
    (0, b"ID3"),
    (0, b"OggS"),
    (0, b"fLaC"),
    (0, b"\x1a\x45\xdf\xa3"),  # Matroska / WebM
    (4, b"ftyp"),  # MP4, MOV, M4A, 3GP
    (0, b"\x30\x26\xb2\x75\x8e\x66\xcf\x11"),  # ASF: WMA, WMV
    (0, b".snd"),  # Sun/NeXT audio (.au)
)


def not_a_document(item: ItemData) -> str | None:
    """``"program"`` or ``"media"`` for an item no extractor claims, else None (then it
    is reported as unsupported, as before). Magic bytes first, the name second."""
    head = item.head
    if (
        any(head[off : off + len(m)] == m for off, m in _MEDIA_MAGIC)
        or (head[:4] == b"RIFF" and head[8:12] in (b"WAVE", b"AVI "))
        or (head[:4] == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"))
    ):
        return MEDIA
    if any(head[off : off + len(m)] == m for off, m in _PROGRAM_MAGIC):
        return PROGRAM
    ext = item.extension
    if ext in _MEDIA_EXT:
        return MEDIA
    if ext in _PROGRAM_EXT:
        return PROGRAM
    return None
