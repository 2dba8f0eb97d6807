"""An evaluator's facts: what odq cannot see from outside, checked by hand with evidence, loaded and validated.

A facts file is YAML (`facts: [...]`) or CSV (one fact a row, a header row naming the columns). Each fact names a
portal and either a measure (the fact is that measure's value) or an assessment point (`indicator` + `point`, and
optionally `system`: the fact is the point's score in [0, 1]), with its value, evidence URL, who checked it and when.
Scoring uses a fact only where odq has no automatic value, unless the fact says `override: true`; see
checks/scoring.py. Every error names the file, the key (YAML) or row and column (CSV), and what was expected.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from checks.registry import MeasureRegistry, registry
from harvester.encoding import detect_encoding
from harvester.profiles import MAX_PROFILE_BYTES, ProfileError, load_yaml, validate

COLUMNS = ("portal", "measure", "system", "indicator", "point", "value", "evidence", "note", "who", "when",
           "override")
_TRUE = {"true", "yes", "y", "1", "是", "有"}
_FALSE = {"false", "no", "n", "0", "否", "无", "無"}
_CSV_KEY = re.compile(r"key 'facts\.(\d+)(?:\.([^']*))?'")


class FactsError(ProfileError):
    """A facts file that cannot be used; the message names file, key or row, and what was expected."""


@dataclass(frozen=True, slots=True)
class Fact:
    """One fact an evaluator checked by hand, with its provenance."""

    portal: str
    value: float  # true/false as 1.0/0.0
    evidence: str
    who: str
    when: str
    origin: str  # where it was read: "facts.yaml key 'facts.2'" or "facts.csv row 4"
    measure: str | None = None
    system: str | None = None
    indicator: str | None = None
    point: str | None = None
    note: str | None = None
    override: bool = False

    @property
    def target(self) -> str:
        """What the fact is about: a measure id, or "system/indicator/point" ("*" for any system)."""
        if self.measure:
            return self.measure
        return f"{self.system or '*'}/{self.indicator}/{self.point}"

    def applies_to_point(self, system_id: str, indicator_id: str, point_id: str) -> bool:
        return (self.measure is None and self.system in (None, system_id) and self.indicator == str(indicator_id)
                and self.point == str(point_id))

    def provenance(self) -> dict[str, Any]:
        """What the score result shows next to the value, so the report can name who checked what, and where."""
        return {"source": "evaluator", "portal": self.portal, "target": self.target, "measure": self.measure,
                "system": self.system, "indicator": self.indicator, "point": self.point, "value": self.value,
                "evidence": self.evidence, "who": self.who, "when": self.when, "note": self.note,
                "override": self.override, "origin": self.origin}


@dataclass(frozen=True, slots=True)
class FactSheet:
    """The facts of one file, for every portal it names."""

    path: Path
    facts: tuple[Fact, ...]

    def for_portal(self, portal_id: str) -> list[Fact]:
        return [f for f in self.facts if f.portal == portal_id]

    def portals(self) -> set[str]:
        return {f.portal for f in self.facts}


def load_facts(path: Path | str, systems: Iterable[Mapping[str, Any]] | None = None,
               measures: MeasureRegistry | None = None) -> FactSheet:
    """Read and check a facts file (.yaml/.yml or .csv); `systems` default to the shipped indicator systems."""
    path = Path(path)
    if path.suffix.lower() == ".csv":
        rows, where = _read_csv(path), _Locator(path, csv=True)
    elif path.suffix.lower() in (".yaml", ".yml"):
        rows, where = _read_yaml(path), _Locator(path, csv=False)
    else:
        raise FactsError(f"{path}: expected a .yaml, .yml or .csv facts file")
    if systems is None:
        from checks.scoring import load_systems  # scoring imports this module

        systems = load_systems()
    facts = _checked(rows, where, list(systems), measures or registry())
    return FactSheet(path, tuple(facts))


# -- reading ----------------------------------------------------------------------------------------------------
def _read_yaml(path: Path) -> list[dict[str, Any]]:
    try:
        data = load_yaml(path)
        if not isinstance(data, dict):
            raise FactsError(f"{path}: key '(top level)': expected a mapping with a 'facts' list")
        validate(data, "facts", path)
    except FactsError:
        raise
    except ProfileError as exc:
        raise FactsError(str(exc)) from None
    return data["facts"]


def _read_csv(path: Path) -> list[dict[str, Any]]:
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_PROFILE_BYTES + 1)
    except OSError as exc:
        raise FactsError(f"{path}: cannot be read: {exc.strerror or exc}") from None
    if len(raw) > MAX_PROFILE_BYTES:
        raise FactsError(f"{path}: larger than {MAX_PROFILE_BYTES // (1024 * 1024)} MB, not a facts file")
    try:
        text = raw.decode(detect_encoding(raw))  # spreadsheets save CSV as UTF-8 with BOM, GB18030, Big5…
    except (UnicodeDecodeError, LookupError):
        raise FactsError(f"{path}: expected text in UTF-8 (or GB18030/Big5), could not decode it") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip() for h in reader.fieldnames or []]
    unknown = [h for h in header if h not in COLUMNS]
    if unknown:
        raise FactsError("\n".join(f"{path}: row 1, column {h!r}: unknown column (allowed: {', '.join(COLUMNS)})"
                                   for h in unknown))
    reader.fieldnames = header
    rows = []
    for row in reader:
        if None in row:  # more cells than the header has columns
            raise FactsError(f"{path}: row {reader.line_num}: expected {len(header)} cells, got more")
        cells = {k: v.strip() for k, v in row.items() if isinstance(v, str) and v.strip()}
        if cells:
            rows.append(_typed_cells(cells))
    try:
        validate({"facts": rows}, "facts", path)
    except ProfileError as exc:
        raise FactsError(_CSV_KEY.sub(_csv_key, str(exc)).replace("key 'facts'", "rows")) from None
    return rows


def _typed_cells(cells: dict[str, str]) -> dict[str, Any]:
    """CSV cells are text: value and override read as the schema expects, anything else left for it to refuse."""
    typed: dict[str, Any] = dict(cells)
    for key in ("value", "override"):
        if key in typed:
            typed[key] = _cell_value(typed[key], numeric=key == "value")
    return typed


def _cell_value(text: str, numeric: bool) -> Any:
    if text.lower() in _TRUE and not (numeric and text == "1"):
        return True
    if text.lower() in _FALSE and not (numeric and text == "0"):
        return False
    if numeric:
        try:
            return float(text)
        except ValueError:
            return text
    return text


def _csv_key(match: re.Match[str]) -> str:
    row = int(match.group(1)) + 2  # row 1 is the header
    return f"row {row}, column '{match.group(2)}'" if match.group(2) else f"row {row}"


@dataclass(frozen=True, slots=True)
class _Locator:
    """How errors and provenance name a fact's place: key 'facts.N.KEY' in YAML, row and column in CSV."""

    path: Path
    csv: bool

    def place(self, index: int, key: str | None = None) -> str:
        if self.csv:
            return f"row {index + 2}" + (f", column '{key}'" if key else "")  # row 1 is the header
        return f"key 'facts.{index}{'.' + key if key else ''}'"

    def __call__(self, index: int, key: str | None = None) -> str:
        return f"{self.path}: {self.place(index, key)}"


# -- what a schema cannot say -----------------------------------------------------------------------------------
def _checked(rows: list[dict[str, Any]], where: _Locator, systems: list[Mapping[str, Any]],
             measures: MeasureRegistry) -> list[Fact]:
    problems: list[str] = []
    facts: list[Fact] = []
    seen: dict[tuple[str, str], int] = {}
    for index, row in enumerate(rows):
        errors = _row_problems(row, index, where, systems, measures)
        if errors:
            problems.extend(errors)
            continue
        fact = _fact(row, f"{where.path.name} {where.place(index)}")
        key = (fact.portal, fact.target)
        if key in seen:
            problems.append(f"{where(index)}: expected one fact per portal and target, {fact.target!r} of "
                            f"{fact.portal!r} is already given at {where.place(seen[key])}")
            continue
        seen[key] = index
        facts.append(fact)
    if problems:
        raise FactsError("\n".join(problems))
    return facts


def _row_problems(row: dict[str, Any], index: int, where: _Locator, systems: list[Mapping[str, Any]],
                  measures: MeasureRegistry) -> list[str]:
    problems = []
    try:
        date.fromisoformat(str(row["when"])[:10])
    except ValueError:
        problems.append(f"{where(index, 'when')}: expected a real date YYYY-MM-DD, got {row['when']!r}")
    has_measure, has_point = "measure" in row, "point" in row
    if has_measure == has_point:
        problems.append(f"{where(index)}: expected either a measure or a point (with its indicator), "
                        + ("not both" if has_measure else "got neither"))
        return problems
    value = row["value"]
    if has_measure:
        for key in ("system", "indicator"):
            if key in row:
                problems.append(f"{where(index, key)}: expected only with a point, not with a measure")
        spec = measures.get(row["measure"])
        if spec is None:
            problems.append(f"{where(index, 'measure')}: {measures.unknown(row['measure'])}")
        else:
            expectation = _value_problem(spec.unit, value)
            if expectation:
                problems.append(f"{where(index, 'value')}: expected {expectation} for {spec.id} ({spec.unit}), "
                                f"got {value!r}")
        return problems
    if "indicator" not in row:
        problems.append(f"{where(index, 'indicator')}: expected the indicator id the point belongs to")
        return problems
    problem = _point_problem(row.get("system"), str(row["indicator"]), str(row["point"]), systems)
    if problem:
        problems.append(f"{where(index, problem[0])}: {problem[1]}")
    expectation = _value_problem("score", value)
    if expectation:
        problems.append(f"{where(index, 'value')}: expected {expectation} for a point's score, got {value!r}")
    return problems


def _value_problem(unit: str, value: Any) -> str | None:
    if unit == "boolean":
        return None if isinstance(value, bool) or value in (0, 1) else "true or false"
    if isinstance(value, bool) and unit != "score":
        return "a number"
    number = float(value)
    if unit in ("share", "score"):
        return None if 0.0 <= number <= 1.0 else "a number from 0 to 1" + (" or true/false" if unit == "score" else "")
    if unit == "stars":
        return None if 0.0 <= number <= 5.0 else "a number from 0 to 5"
    return None if number >= 0 else "a number >= 0"


def _point_problem(system_id: str | None, indicator_id: str, point_id: str,
                   systems: list[Mapping[str, Any]]) -> tuple[str, str] | None:
    candidates = [s for s in systems if system_id in (None, s["id"])]
    if system_id is not None and not candidates:
        return "system", f"unknown indicator system {system_id!r} (known: {', '.join(s['id'] for s in systems)})"
    indicators = [i for s in candidates for i in s["indicators"] if str(i["id"]) == indicator_id]
    if not indicators:
        known = ", ".join(dict.fromkeys(str(i["id"]) for s in candidates for i in s["indicators"]))
        return "indicator", f"unknown indicator {indicator_id!r} (known: {known})"
    if not any(str(p["id"]) == point_id for i in indicators for p in i["points"]):
        known = ", ".join(dict.fromkeys(str(p["id"]) for i in indicators for p in i["points"]))
        return "point", f"unknown point {point_id!r} of indicator {indicator_id!r} (known: {known})"
    return None


def _fact(row: dict[str, Any], origin: str) -> Fact:
    value = row["value"]
    return Fact(
        portal=str(row["portal"]), value=float(value), evidence=str(row["evidence"]), who=str(row["who"]),
        when=str(row["when"]), origin=origin, measure=row.get("measure"), system=row.get("system"),
        indicator=None if row.get("indicator") is None else str(row["indicator"]),
        point=None if row.get("point") is None else str(row["point"]), note=row.get("note"),
        override=bool(row.get("override", False)),
    )
