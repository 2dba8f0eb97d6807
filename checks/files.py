"""Sampled data files: download under a byte cap, detect the encoding, validate with frictionless under a row cap."""

from __future__ import annotations

import hashlib
from typing import Any

import pandas as pd

from harvester.encoding import detect_encoding, sniff_kind
from harvester.http import BodyTooLarge, FetchError, Http
from harvester.vocab import format_info

FILE_BYTE_CAP = 5 * 1024 * 1024
ROW_CAP = 10_000
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
    *, byte_cap: int = FILE_BYTE_CAP, row_cap: int = ROW_CAP,
) -> dict[str, Any]:
    """One file's report: validity, error types, rows, encoding, and declared fields against the header."""
    from frictionless import Resource, Schema  # heavy: imported only when files are validated

    report: dict[str, Any] = {"url": url, "format": file_format, "valid": None}
    try:
        response = http.get(url, max_bytes=byte_cap)
    except BodyTooLarge:
        report["fetch_error"] = f"larger than the {byte_cap:,}-byte cap; not validated"
        return report
    except FetchError as exc:
        report["fetch_error"] = exc.reason
        return report
    if not response.ok:
        report["fetch_error"] = f"HTTP {response.status}"
        return report
    body = response.body
    report["bytes"] = len(body)
    report["content_type"] = response.content_type
    actual = sniff_kind(body) or file_format
    if actual != file_format:
        report["served_format"] = actual
    if actual == "HTML" or response.content_type == "text/html":
        report.update(valid=False, errors=1, rows=0, error_types={"not-a-data-file": 1},
                      detail=f"declared {file_format} but the link serves an HTML page")
        return report
    options: dict[str, Any] = {"format": actual.lower()}
    if actual in ("CSV", "TSV"):
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
        validation = resource.validate(limit_rows=row_cap)
    except Exception as exc:  # frictionless raises for unreadable files; that is the finding
        report.update(valid=False, errors=1, rows=0, error_types={"unreadable": 1}, detail=str(exc)[:300])
        return report
    task = validation.tasks[0] if validation.tasks else None
    error_types: dict[str, int] = {}
    for error in task.errors if task else validation.errors:
        error_types[error.type] = error_types.get(error.type, 0) + 1
    header = [str(label) for label in task.labels] if task else []  # the file's real header, not the schema's
    report.update(
        valid=bool(validation.valid),
        rows=int(task.stats.get("rows") or 0) if task else 0,
        errors=sum(error_types.values()),
        error_types=error_types,
        header=header,
        examples=[e.message for e in (task.errors if task else validation.errors)[:5]],
    )
    if names and header:
        report["declared_fields"] = names
        report["missing_fields"] = [n for n in names if n not in header]
        report["extra_fields"] = [h for h in header if h not in names]
    return report

