"""Sampled data files: download under a byte cap, detect the encoding, validate with frictionless under a row cap."""

from __future__ import annotations

import hashlib
import io
import zipfile
from typing import Any

import pandas as pd

from harvester.archive import ArchiveError, check_expansion, first_table, gunzip
from harvester.encoding import detect_encoding, sniff_kind
from harvester.http import BodyTooLarge, FetchError, Http
from harvester.vocab import format_info

# odq defaults, not from a published scheme: what one sampled file may cost to download and to validate.
FILE_BYTE_CAP = 5 * 1024 * 1024
ROW_CAP = 10_000
ERROR_CAP = 1_000  # frictionless's own default limit_errors
UNZIPPED_BYTE_CAP = 50 * 1024 * 1024  # a ZIP member or the parts of a workbook, uncompressed
ZIP_MEMBER_CAP = 1_000
_ZIPPED = {"XLSX", "ODS"}


def sample_files(
    distributions: pd.DataFrame, datasets: pd.DataFrame, size: int, broken_urls: set[str] | None = None
) -> pd.DataFrame:
    """A sample of tabular distributions spread over publishers and formats, deterministic for a harvest."""
    tabular = distributions[distributions["format"].map(lambda c: bool((i := format_info(c)) and i.tabular))]
    if broken_urls:  # a link already known dead says nothing about file quality
        tabular = tabular[~tabular["url"].isin(broken_urls)]
    # One file per dataset and each URL once: portals point many datasets at the same file.
    tabular = tabular[tabular["url"].notna()].drop_duplicates("native_id").drop_duplicates("url")
    if tabular.empty:
        return tabular
    tabular = tabular.assign(
        publisher=tabular["native_id"].map(datasets["department"]).fillna("?"),
        order=tabular["url"].map(lambda u: hashlib.sha1(u.encode(), usedforsecurity=False).hexdigest()),
    ).sort_values("order")
    # Round-robin over (publisher, format) strata so one big publisher cannot fill the sample.
    tabular["rank"] = tabular.groupby(["publisher", "format"]).cumcount()
    return tabular.sort_values(["rank", "order"]).head(size)


def validate_file(
    http: Http, url: str, file_format: str, declared_fields: list[dict[str, Any]] | None = None,
    *, byte_cap: int = FILE_BYTE_CAP, row_cap: int = ROW_CAP, error_cap: int = ERROR_CAP,
    unzipped_cap: int = UNZIPPED_BYTE_CAP, member_cap: int = ZIP_MEMBER_CAP,
) -> dict[str, Any]:
    """One file's report: validity, error types, rows, encoding, and declared fields against the header.

    `status` says what became of the file: "validated" (valid is True/False, rows and errors are over the rows
    read), "not-validated" (over a cap or not fetched: valid is None, it is not assessed), or "unreadable" (not a
    table: valid is False, and it has no rows or errors to count)."""
    report: dict[str, Any] = {"url": url, "format": file_format, "valid": None, "status": "not-validated"}
    try:
        response = http.get(url, max_bytes=byte_cap)
    except BodyTooLarge:
        return _not_validated(report, f"not validated: over the cap of {byte_cap:,} bytes")
    except FetchError as exc:
        return _not_validated(report, exc.reason)
    if not response.ok:
        return _not_validated(report, f"HTTP {response.status}")
    body = response.body
    report["bytes"] = len(body)
    report["content_type"] = response.content_type
    actual = sniff_kind(body) or file_format
    if actual != file_format:
        report["served_format"] = actual
    if actual == "HTML" or response.content_type == "text/html":
        return _unreadable(report, "not-a-data-file", f"declared {file_format} but the link serves an HTML page")
    try:
        if actual == "ZIP":
            member = first_table(body, max_members=member_cap, max_bytes=unzipped_cap)
            report.update(compression="zip", innerpath=member.name, archive_tables=list(member.tables))
            if len(member.tables) > 1:
                report.setdefault("notes", []).append(
                    f"the ZIP holds {len(member.tables)} tables; the first, {member.name}, was validated")
            body, actual = member.data, member.kind
            if actual in _ZIPPED:
                check_expansion(body, max_members=member_cap, max_bytes=unzipped_cap)
        elif actual == "GZIP":
            body = gunzip(body, max_bytes=unzipped_cap)
            report["compression"] = "gz"
            inner = sniff_kind(body)
            if inner in ("ZIP", "GZIP", "HTML"):  # one layer is opened, not a chain
                raise ArchiveError(f"the gzip stream holds {inner}, not a table", unreadable=True)
            actual = inner or (file_format if file_format in ("CSV", "TSV") else "CSV")
            if actual in _ZIPPED:
                check_expansion(body, max_members=member_cap, max_bytes=unzipped_cap)
        elif actual in _ZIPPED:
            check_expansion(body, max_members=member_cap, max_bytes=unzipped_cap)
    except ArchiveError as exc:
        if exc.unreadable:
            return _unreadable(report, "unreadable", exc.reason)
        return _not_validated(report, exc.reason)
    if actual == "ODS" and b"<!ENTITY" in _ods_content(body):
        return _unreadable(report, "unreadable", "the ODS declares XML entities; not read")
    return _validate(report, body, actual, declared_fields, row_cap=row_cap, error_cap=error_cap)


def _validate(report: dict[str, Any], body: bytes, kind: str, declared_fields: list[dict[str, Any]] | None,
              *, row_cap: int, error_cap: int) -> dict[str, Any]:
    from frictionless import Resource, Schema  # heavy: imported only when files are validated

    options: dict[str, Any] = {"format": kind.lower()}
    if kind in ("CSV", "TSV"):
        report["encoding"] = options["encoding"] = detect_encoding(body)
    schema = None
    names = [f["name"] for f in declared_fields or [] if f.get("name")]
    typed = [f for f in declared_fields or [] if f.get("name") and f.get("type")]
    if typed and len(typed) == len(names):
        try:
            schema = Schema.from_descriptor({"fields": [{"name": f["name"], "type": f["type"]} for f in typed]})
        except Exception:  # a declared schema frictionless cannot read is itself a finding, not a crash
            report["schema_error"] = "declared field types are not a valid Table Schema"
    try:
        resource = Resource(body, schema=schema, **options) if schema else Resource(body, **options)
        validation = resource.validate(limit_rows=row_cap, limit_errors=error_cap)
    except Exception as exc:  # frictionless raises for files it cannot open at all; that is the finding
        return _unreadable(report, "unreadable", str(exc)[:300])
    task = validation.tasks[0] if validation.tasks else None
    errors = task.errors if task else validation.errors
    fatal = [e for e in errors if e.type in _FATAL]
    if fatal or task is None:  # frictionless could not read the table: no rows to count errors over
        reason = fatal[0].message if fatal else "; ".join(e.message for e in errors[:2]) or "no table found"
        return _unreadable(report, fatal[0].type if fatal else "unreadable", reason[:300])
    error_types: dict[str, int] = {}
    for error in errors:
        error_types[error.type] = error_types.get(error.type, 0) + 1
    header = [str(label) for label in task.labels]  # the file's real header, not the schema's
    rows = int(task.stats.get("rows") or 0)
    warnings = [str(w) for w in task.warnings]
    rows_capped = any(w.startswith("reached row limit") for w in warnings)
    errors_capped = any(w.startswith("reached error limit") for w in warnings)
    report.update(
        status="validated",
        valid=bool(validation.valid),
        rows=rows,
        rows_read=rows,
        errors=sum(error_types.values()),
        error_types=error_types,
        header=header,
        examples=[e.message for e in errors[:5]],
        rows_capped=rows_capped,
        errors_capped=errors_capped,
    )
    notes = report.setdefault("notes", [])
    if rows_capped:
        report["row_cap"] = row_cap
        notes.append(f"first {row_cap:,} rows validated")
    if errors_capped:
        report["error_cap"] = error_cap
        notes.append(f"errors counted up to {error_cap:,}; validation stopped at row {rows:,}")
    if names and header:
        report["declared_fields"] = names
        report["missing_fields"] = [n for n in names if n not in header]
        report["extra_fields"] = [h for h in header if h not in names]
    return report


# frictionless error types that mean the table itself could not be read (not faults in its rows).
_FATAL = {"scheme-error", "format-error", "encoding-error", "compression-error", "source-error", "resource-error",
          "general-error"}


def _not_validated(report: dict[str, Any], reason: str) -> dict[str, Any]:
    """Not assessed: valid stays None so it is neither valid nor invalid, and the reason is shown."""
    report.update(status="not-validated", valid=None, not_validated=reason, fetch_error=reason)
    return report


def _unreadable(report: dict[str, Any], kind: str, reason: str) -> dict[str, Any]:
    """Not a table: invalid, but with no rows read, so it adds nothing to errors per 1,000 rows."""
    report.update(status="unreadable", valid=False, unreadable=reason, detail=reason, rows=None, rows_read=None,
                  errors=None, error_types={kind: 1})
    return report


def _ods_content(body: bytes) -> bytes:
    try:
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            return archive.read("content.xml") if "content.xml" in archive.namelist() else b""
    except (zipfile.BadZipFile, OSError, ValueError):
        return b""  # frictionless will say why it cannot read it
