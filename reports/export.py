"""League table and score export for the composite evaluation: CSV, XLSX or JSON, formulas neutralised.

CSV has no cell types, so text a spreadsheet would run as a formula gets a leading apostrophe. XLSX has: such text
is written as a string cell (with Excel's quote-prefix style), so it stays text without a visible apostrophe.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from checks.results import Results
from checks.scoring import rank
from harvester.store import Store

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "|")
HEADER_FILL = "17324D"
MAX_COLUMN_WIDTH = 60
FROZEN_COLUMNS = 4  # rank, rank label, portal id, portal name stay in view while scrolling right


def neutralise(value: Any) -> Any:
    """Text a spreadsheet would run as a formula gets a leading apostrophe; numbers stay numbers (CSV)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


@dataclass(slots=True)
class ExportMetadata:
    """What an evaluator needs to know about an export: which system, level and round, which harvests, when."""

    system_id: str | None = None
    system_name: str | None = None
    level: str | None = None
    round_name: str | None = None
    harvests: list[dict[str, Any]] = field(default_factory=list)  # portal_id, harvest_id, harvested_at
    odq_version: str = ""
    generated_at: str = ""

    @classmethod
    def from_rows(cls, rows: list[dict[str, Any]], **given: Any) -> ExportMetadata:
        levels = sorted({str(r["level"]) for r in rows if r.get("level")})
        systems = sorted({str(r["system"]) for r in rows if r.get("system")})
        harvests = [{"portal_id": r.get("portal_id"), "harvest_id": r.get("harvest_id"),
                     "harvested_at": r.get("harvested_at")} for r in rows if r.get("harvest_id") is not None]
        metadata = cls(system_id=", ".join(systems) or None, level=", ".join(levels) or None,
                       harvests=harvests, odq_version=_odq_version(),
                       generated_at=datetime.now(UTC).isoformat(timespec="seconds"))
        for key, value in given.items():
            if value is not None:
                setattr(metadata, key, value)
        return metadata


def _odq_version() -> str:
    from odq import __version__

    return __version__


def export_metadata(system_id: str, level: str, rows: list[dict[str, Any]],
                    round_name: str | None = None) -> ExportMetadata:
    """The metadata of a league-table export, with the system's name from its profile."""
    from checks.scoring import load_system

    return ExportMetadata.from_rows(rows, system_id=system_id, system_name=load_system(system_id)["name"],
                                    level=level, round_name=round_name)


def league_rows(store: Store, system_id: str, level: str) -> list[dict[str, Any]]:
    """One row per portal of the level with a scored current harvest, ranked with 并列 ties."""
    entries: dict[str, dict[str, Any]] = {}
    for portal in store.portals():
        if portal["level"] != level or portal["current_harvest_id"] is None:
            continue
        for score in Results(store).scores(portal["current_harvest_id"]):
            if score["system_id"] == system_id and score["composite"] is not None:
                entries[portal["id"]] = {"portal": portal, "score": score["result"]}
    ranks = {r.portal_id: r for r in rank({pid: e["score"]["composite"] for pid, e in entries.items()})}
    rows = []
    for portal_id, entry in sorted(entries.items(), key=lambda item: (ranks[item[0]].rank, item[0])):
        portal, result, place = entry["portal"], entry["score"], ranks[portal_id]
        harvest = store.harvest(portal["current_harvest_id"])
        row: dict[str, Any] = {
            "rank": place.rank,
            "rank_label": f"并列第{place.rank}名" if place.tied else f"第{place.rank}名",
            "portal_id": portal_id, "portal": portal["name"], "region": portal["region"], "level": level,
            "system": system_id,
            "harvest_id": portal["current_harvest_id"],
            "harvested_at": harvest.started_at.isoformat(timespec="seconds"),
            "composite": result["composite"], "tier": result["tier"],
            "total": result["total"], "maximum": result["maximum"],
        }
        for indicator in result["indicators"]:
            if not indicator["applicable"]:
                continue
            row[f"{indicator['id']} {indicator['name']}"] = indicator["points"]
            for point in indicator["assessment_points"]:
                row[f"{indicator['id']}-{point['id']} score"] = point["score"]
        rows.append(row)
    return rows


def write_export(rows: list[dict[str, Any]], out: Path, metadata: ExportMetadata | None = None) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    columns: list[str] = []
    for row in rows:
        columns.extend(c for c in row if c not in columns)
    suffix = out.suffix.lower()
    if suffix == ".json":
        out.write_bytes(orjson.dumps(rows, option=orjson.OPT_INDENT_2))
    elif suffix == ".csv":
        with out.open("w", newline="", encoding="utf-8-sig") as handle:  # BOM: Excel opens Chinese CSV right
            writer = csv.DictWriter(handle, fieldnames=columns)
            writer.writeheader()
            writer.writerows({k: neutralise(v) for k, v in row.items()} for row in rows)
    elif suffix == ".xlsx":
        _write_xlsx(rows, columns, out, metadata or ExportMetadata.from_rows(rows))
    else:
        raise ValueError(f"unknown export format {suffix!r}: use .csv, .xlsx or .json")
    return out


def _number_format(column: str) -> str | None:
    if column == "composite" or column.endswith(" score"):
        return "0.0000"
    if column in ("total", "maximum") or column[:1].isdigit() or " " in column:
        return "0.00"
    return None


def _display_width(value: Any) -> int:
    text = value if isinstance(value, str) else (f"{value:.4f}" if isinstance(value, float) else str(value))
    return sum(2 if ord(c) > 0x2E80 else 1 for c in text)  # CJK characters take two columns


def _set(cell: Any, value: Any) -> None:
    """Numbers stay numbers; every string is a string cell, so '=…' is text, never a formula, and shows as typed."""
    if isinstance(value, float) and value != value:  # NaN: unknown, an empty cell
        value = None
    if isinstance(value, bool) or not isinstance(value, int | float | str) and value is not None:
        value = str(value)
    if isinstance(value, str):
        cell.value = value
        cell.data_type = "s"
        if value.startswith(_FORMULA_START):
            cell.quotePrefix = True  # Excel keeps it text even when the cell is edited
    else:
        cell.value = value


def header_style() -> tuple[Any, Any, Any]:
    from openpyxl.styles import Alignment, Font, PatternFill

    return (Font(bold=True, color="FFFFFF"), PatternFill("solid", fgColor=HEADER_FILL),
            Alignment(wrap_text=True, vertical="top"))


def fill_sheet(sheet: Any, rows: list[dict[str, Any]], columns: list[str], *,
               number_format: Callable[[str], str | None] = _number_format, frozen_columns: int = 0) -> None:
    """A table an evaluator can work with: a styled, wrapped header row, numbers as numbers in a format, column
    widths from the content (CJK counted double), the header and the first `frozen_columns` frozen, a filter."""
    from openpyxl.utils import get_column_letter

    font, fill, alignment = header_style()
    for number, column in enumerate(columns, start=1):
        cell = sheet.cell(row=1, column=number)
        _set(cell, column)
        cell.font, cell.fill, cell.alignment = font, fill, alignment
    widths = [min(MAX_COLUMN_WIDTH, max(8, _display_width(c) // 2 + 2)) for c in columns]  # the header wraps
    for row_number, row in enumerate(rows, start=2):
        for number, column in enumerate(columns, start=1):
            value = row.get(column)
            cell = sheet.cell(row=row_number, column=number)
            _set(cell, value)
            pattern = number_format(column)
            if pattern and isinstance(value, int | float) and not isinstance(value, bool):
                cell.number_format = pattern
            if value is not None:
                widths[number - 1] = min(MAX_COLUMN_WIDTH, max(widths[number - 1], _display_width(value) + 2))
    for number, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(number)].width = width
    sheet.row_dimensions[1].height = 45
    sheet.freeze_panes = sheet.cell(row=2, column=min(frozen_columns, max(0, len(columns) - 1)) + 1)
    if columns:
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{max(1, len(rows) + 1)}"


def fill_metadata(sheet: Any, metadata: ExportMetadata, entries: list[tuple[str, Any]] = ()) -> None:
    """The metadata sheet: system, level, round, harvest times, odq version (plus `entries`), then a table of
    the harvests used, one row per portal."""
    from openpyxl.styles import Font

    harvested = [h["harvested_at"] for h in metadata.harvests if h.get("harvested_at")]
    lines: list[tuple[str, Any]] = [
        ("system", metadata.system_id), ("system name", metadata.system_name), ("level", metadata.level),
        ("round", metadata.round_name), *entries, ("odq version", metadata.odq_version),
        ("generated at (UTC)", metadata.generated_at),
        ("harvests from (UTC)", min(harvested, default=None)), ("harvests to (UTC)", max(harvested, default=None)),
        ("note", "text that looks like a formula is stored as text; ranks use competition ranking (并列 ties)"),
    ]
    for row_number, (key, value) in enumerate(lines, start=1):
        _set(sheet.cell(row=row_number, column=1), key)
        sheet.cell(row=row_number, column=1).font = Font(bold=True)
        _set(sheet.cell(row=row_number, column=2), value)
    start = len(lines) + 2
    font, fill, _alignment = header_style()
    for number, name in enumerate(("portal_id", "harvest_id", "harvested_at (UTC)"), start=1):
        cell = sheet.cell(row=start, column=number)
        _set(cell, name)
        cell.font, cell.fill = font, fill
    for offset, harvest in enumerate(metadata.harvests, start=1):
        for number, key in enumerate(("portal_id", "harvest_id", "harvested_at"), start=1):
            _set(sheet.cell(row=start + offset, column=number), harvest.get(key))
    sheet.column_dimensions["A"].width, sheet.column_dimensions["B"].width = 24, 60
    sheet.column_dimensions["C"].width = 24


def _write_xlsx(rows: list[dict[str, Any]], columns: list[str], out: Path, metadata: ExportMetadata) -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "scores"
    fill_sheet(sheet, rows, columns, frozen_columns=FROZEN_COLUMNS)
    fill_metadata(workbook.create_sheet("metadata"), metadata, [("portals", len(rows))])
    workbook.save(out)
