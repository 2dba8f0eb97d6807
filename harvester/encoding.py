"""What fetched bytes are, whatever the catalogue says: the file kind by its signature, the text encoding."""

from __future__ import annotations

import chardet

from harvester.archive import zip_kind

# chardet (frictionless's own detector) limited to the encodings in use on today's web: Windows code pages,
# the ISO-8859 family's Windows supersets, GB18030, Big5, Shift_JIS/CP932, EUC-KR/JP, KOI8. The DOS, Mac and
# mainframe code pages are left out: no portal publishes in them, and on a short Western file they win by
# chance (Latin-1 "Köln" read as Mac Iceland). charset-normalizer was dropped here because on short Western
# text it rates CP1250 and CP1252 the same and answers CP1250 ("Genève" → "Genčve").
_ERA = chardet.EncodingEra.MODERN_WEB
_BIG5 = {"big5", "cp950", "big5hkscs"}
_SAMPLE = 200_000


def _decodes(body: bytes, encoding: str) -> bool:
    try:
        body.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return False
    return True


def _guess(body: bytes) -> str:
    found = chardet.detect(body, encoding_era=_ERA, prefer_superset=True, compat_names=False,
                           max_bytes=len(body))["encoding"]
    return found or "cp1252"


def detect_encoding(body: bytes) -> str:
    """BOM, then strict UTF-8, then chardet on the first 200 kB — again on the whole body when its answer does
    not decode all of it. Big5 is named CP950 (Big5 as Windows writes it) when that decodes the bytes."""
    if body.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if body.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    if _decodes(body, "utf-8"):
        return "utf-8"
    encoding = _guess(body[:_SAMPLE])
    if len(body) > _SAMPLE and not _decodes(body, encoding):
        encoding = _guess(body)
    if encoding in _BIG5:
        return "cp950" if _decodes(body, "cp950") else "big5hkscs"
    return encoding


def sniff_kind(body: bytes) -> str | None:
    """XLSX, ODS, ZIP (any other archive), XLS, GZIP or HTML from the bytes' signature (portals label XLSX as
    XLS, zipped CSV as CSV and home pages as CSV); None when the signature says nothing (text formats)."""
    if body.startswith(b"PK\x03\x04"):
        return zip_kind(body)
    if body.startswith(b"\xd0\xcf\x11\xe0"):
        return "XLS"
    if body.startswith(b"\x1f\x8b"):
        return "GZIP"
    head = body[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head[:15].lower().startswith((b"<!doctype html", b"<html")):
        return "HTML"
    return None
