"""What fetched bytes are, whatever the catalogue says: the file kind by its signature, the text encoding."""

from __future__ import annotations

from charset_normalizer import from_bytes

# What Chinese and Taiwanese portals publish in besides UTF-8. cp950 is Big5 as Windows writes it (a superset).
_LEGACY = ("gb18030", "cp950", "big5hkscs")
_BIG5 = {"big5", "cp950", "big5hkscs"}


def _decodes(body: bytes, encoding: str) -> bool:
    try:
        body.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def detect_encoding(body: bytes) -> str:
    """BOM, then strict UTF-8, then GB18030 vs Big5/CP950 — which both often decode the same bytes without error,
    so charset-normalizer's coherence test decides between them — then charset-normalizer's best guess."""
    if body.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if body.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    if _decodes(body, "utf-8"):
        return "utf-8"
    sample = body[:200_000]
    candidates = [e for e in _LEGACY if _decodes(body, e)]
    if len(candidates) == 1:
        return candidates[0]
    best = from_bytes(sample, cp_isolation=candidates or None).best()
    if best is None:
        return candidates[0] if candidates else "utf-8"
    if best.encoding in _BIG5:
        return "cp950" if "cp950" in candidates else "big5hkscs"
    return best.encoding


def sniff_kind(body: bytes) -> str | None:
    """XLSX, XLS or HTML from the bytes' signature (portals label XLSX as XLS and home pages as CSV); None
    when the signature says nothing (text formats)."""
    if body.startswith(b"PK\x03\x04"):
        return "XLSX"
    if body.startswith(b"\xd0\xcf\x11\xe0"):
        return "XLS"
    head = body[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head[:15].lower().startswith((b"<!doctype html", b"<html")):
        return "HTML"
    return None
