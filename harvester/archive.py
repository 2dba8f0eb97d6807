"""ZIP files as portals publish them: a workbook (XLSX, ODS) or an archive of data files. Opening one is capped
in members and in uncompressed bytes, because a few kilobytes of ZIP can expand to gigabytes."""

from __future__ import annotations

import gzip
import io
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import PurePosixPath

_ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
# A table inside an archive, by the member's extension (the member has no other label).
TABLE_EXTENSIONS = {".csv": "CSV", ".tsv": "TSV", ".xlsx": "XLSX", ".xls": "XLS", ".ods": "ODS"}


class ArchiveError(Exception):
    """An archive odq will not open (over a cap, encrypted, damaged); `unreadable` says which kind of refusal."""

    def __init__(self, reason: str, *, unreadable: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.unreadable = unreadable  # damaged or not a table: a finding; over a cap: not assessed


@dataclass(frozen=True)
class Member:
    """The table taken out of an archive, and what else the archive held."""

    name: str
    kind: str
    data: bytes
    tables: tuple[str, ...]  # every tabular member, in archive order; `name` is the first
    files: int


def zip_kind(body: bytes) -> str:
    """XLSX, ODS or ZIP for bytes that start with a ZIP signature. Reads the central directory when it is there
    and the first local header when it is not (a truncated download still says what it was meant to be)."""
    # ODS stores `mimetype` first and uncompressed, so its value sits right after the first local header.
    if body[30:38] == b"mimetype" and body[38:38 + len(_ODS_MIMETYPE)] == _ODS_MIMETYPE:
        return "ODS"
    try:
        names = zipfile.ZipFile(io.BytesIO(body)).namelist()
    except (zipfile.BadZipFile, ValueError, OSError):
        names = _local_names(body)
        # Only the first parts survived the cut: an OOXML workbook part name is enough.
        return "XLSX" if any(n == "[Content_Types].xml" or n.startswith("xl/") for n in names) else "ZIP"
    if "[Content_Types].xml" in names and any(n.startswith("xl/") for n in names):
        return "XLSX"
    return "ZIP"


def _local_names(body: bytes, limit: int = 64) -> list[str]:
    """Member names from the local headers that precede each member, for an archive cut before its directory."""
    names: list[str] = []
    offset = 0
    while len(names) < limit and body[offset:offset + 4] == b"PK\x03\x04" and offset + 30 <= len(body):
        flags = int.from_bytes(body[offset + 6:offset + 8], "little")
        size = int.from_bytes(body[offset + 18:offset + 22], "little")
        name_length = int.from_bytes(body[offset + 26:offset + 28], "little")
        extra_length = int.from_bytes(body[offset + 28:offset + 30], "little")
        names.append(body[offset + 30:offset + 30 + name_length].decode("cp437", "replace"))
        if flags & 0x8:  # sizes come after the data: the next header cannot be found without inflating
            break
        offset += 30 + name_length + extra_length + size
    return names


def _open(body: bytes) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(io.BytesIO(body))
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise ArchiveError(f"not a readable ZIP archive (truncated or damaged: {exc})", unreadable=True) from exc


def _files(archive: zipfile.ZipFile, max_members: int) -> list[zipfile.ZipInfo]:
    entries = archive.infolist()
    if len(entries) > max_members:
        raise ArchiveError(f"not opened: the ZIP holds {len(entries):,} entries, over the cap of {max_members:,}",
                           unreadable=False)
    return [e for e in entries if not e.is_dir()]


def check_expansion(body: bytes, *, max_members: int, max_bytes: int) -> None:
    """A workbook is a ZIP too: refuse one whose parts expand past the cap before a reader inflates them all."""
    archive = _open(body)
    files = _files(archive, max_members)
    total = sum(e.file_size for e in files)
    if total > max_bytes:
        raise ArchiveError(f"not validated: its parts expand to {total:,} bytes, over the cap of {max_bytes:,} bytes",
                           unreadable=False)


def first_table(body: bytes, *, max_members: int, max_bytes: int) -> Member:
    """The first tabular member of a ZIP archive, read whole under the byte cap."""
    archive = _open(body)
    files = [e for e in _files(archive, max_members)
             if not e.filename.startswith("__MACOSX/") and not PurePosixPath(e.filename).name.startswith(".")]
    tables = [e for e in files if PurePosixPath(e.filename).suffix.lower() in TABLE_EXTENSIONS]
    if not tables:
        listed = ", ".join(e.filename for e in files[:5]) or "nothing"
        raise ArchiveError(f"the ZIP holds no table (CSV, TSV, XLSX, XLS or ODS): {listed}", unreadable=True)
    chosen = tables[0]
    if chosen.flag_bits & 0x1:
        raise ArchiveError(f"{chosen.filename} in the ZIP is encrypted", unreadable=True)
    if chosen.file_size > max_bytes:
        raise ArchiveError(f"not validated: {chosen.filename} expands to {chosen.file_size:,} bytes, over the cap "
                           f"of {max_bytes:,} bytes", unreadable=False)
    try:
        with archive.open(chosen) as handle:
            # zipfile stops at the size the header declares, so this read is bounded even for a lying header.
            data = handle.read(max_bytes + 1)
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, RuntimeError) as exc:
        raise ArchiveError(f"{chosen.filename} in the ZIP cannot be read ({exc})", unreadable=True) from exc
    if len(data) > max_bytes:
        raise ArchiveError(f"not validated: {chosen.filename} expands past the cap of {max_bytes:,} bytes",
                           unreadable=False)
    kind = TABLE_EXTENSIONS[PurePosixPath(chosen.filename).suffix.lower()]
    return Member(chosen.filename, kind, data, tuple(e.filename for e in tables), len(files))


def gunzip(body: bytes, *, max_bytes: int) -> bytes:
    """A gzip stream inflated under the byte cap (a .csv.gz); the cap is checked while inflating, not after."""
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(body)) as handle:
            data = handle.read(max_bytes + 1)
    except (OSError, EOFError, zlib.error) as exc:
        raise ArchiveError(f"not a readable gzip stream (truncated or damaged: {exc})", unreadable=True) from exc
    if len(data) > max_bytes:
        raise ArchiveError(f"not validated: the gzip stream expands past the cap of {max_bytes:,} bytes",
                           unreadable=False)
    return data
