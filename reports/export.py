"""League table and score export for the composite evaluation: CSV, XLSX or JSON, formulas neutralised."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import orjson

from checks.scoring import rank
from harvester.store import Store

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "|")


def neutralise(value: Any) -> Any:
    """Text a spreadsheet would run as a formula gets a leading apostrophe; numbers stay numbers."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def league_rows(store: Store, system_id: str, level: str) -> list[dict[str, Any]]:
    """One row per portal of the level with a scored current harvest, ranked with 并列 ties."""
    entries: dict[str, dict[str, Any]] = {}
    for portal in store.portals():
        if portal["level"] != level or portal["current_harvest_id"] is None:
            continue
        for score in store.scores(portal["current_harvest_id"]):
            if score["system_id"] == system_id and score["composite"] is not None:
                entries[portal["id"]] = {"portal": portal, "score": score["result"]}
    ranks = {r.portal_id: r for r in rank({pid: e["score"]["composite"] for pid, e in entries.items()})}
    rows = []
    for portal_id, entry in sorted(entries.items(), key=lambda item: (ranks[item[0]].rank, item[0])):
        portal, result, place = entry["portal"], entry["score"], ranks[portal_id]
        row: dict[str, Any] = {
            "rank": place.rank,
            "rank_label": f"并列第{place.rank}名" if place.tied else f"第{place.rank}名",
            "portal_id": portal_id, "portal": portal["name"], "region": portal["region"], "level": level,
            "harvest_id": portal["current_harvest_id"], "composite": result["composite"], "tier": result["tier"],
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


def write_export(rows: list[dict[str, Any]], out: Path) -> Path:
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
        from openpyxl import Workbook

        workbook = Workbook()
        sheet = workbook.active
        sheet.title = "scores"
        sheet.append([neutralise(c) for c in columns])
        for row in rows:
            sheet.append([neutralise(row.get(c)) for c in columns])
        for cells in sheet.iter_rows():  # force text cells to text, so nothing is evaluated on open
            for cell in cells:
                if isinstance(cell.value, str):
                    cell.data_type = "s"
        workbook.save(out)
    else:
        raise ValueError(f"unknown export format {suffix!r}: use .csv, .xlsx or .json")
    return out
