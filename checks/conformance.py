"""Conformance of a data.json catalogue's entries to the Project Open Data (DCAT-US 1.1) JSON Schemas.

Each entry is validated as served (the raw record), with jsonschema's Draft 4 validator and format checks, as
data.gov's own validator does. The schemas are the official POD files, read from a folder the operator names
(`ODQ_POD_SCHEMAS`, holding `federal-v1.1/dataset.json` and `non-federal-v1.1/dataset-non-federal.json`);
without them the measure is not assessed — never zero.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd

from checks.catalogue import Catalogue
from checks.findings import FindingType
from checks.measures import MAX_FINDINGS_PER_MEASURE, FamilyResult, MeasureSpec

FAMILY = "conformance"
POD_SCHEMAS_ENV = "ODQ_POD_SCHEMAS"
SCHEMA_FILES = {"federal": Path("federal-v1.1") / "dataset.json",
                "non-federal": Path("non-federal-v1.1") / "dataset-non-federal.json"}
# Fields only the federal schema asks for: an agency catalogue carries them, a state or city catalogue does not.
FEDERAL_MARKERS = ("bureauCode", "programCode")
ERRORS_PER_FINDING = 5

POD = MeasureSpec("pod_conformant_share", FAMILY, "share", "符合 POD（DCAT-US 1.1）模式的 data.json 条目占比",
                  "share of data.json entries valid against the POD (DCAT-US 1.1) schema", good="high")
POD_INVALID = FindingType(
    "pod-schema-invalid", "{total} errors against the POD {schema} schema, e.g.: {errors}",
    "不符合 POD（DCAT-US 1.1）{schema}模式，共 {total} 处错误，例如：{errors}",
    portal_text=frozenset({"errors"}), vocabulary={"schema": "pod-schema"})


class PodSchemasMissing(LookupError):
    pass


@dataclass(frozen=True, slots=True)
class EntryVerdict:
    native_id: str
    errors: tuple[str, ...]  # "path: message", in document order; empty when the entry conforms


def schemas_dir() -> Path | None:
    value = os.environ.get(POD_SCHEMAS_ENV)
    return Path(value) if value else None


@cache
def _validator(folder: str, which: str) -> Any:
    from jsonschema import Draft4Validator, FormatChecker

    path = Path(folder) / SCHEMA_FILES[which]
    try:
        schema = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise PodSchemasMissing(f"POD schema {path} could not be read ({exc})") from exc
    return Draft4Validator(schema, format_checker=FormatChecker())


def which_schema(entries: Mapping[str, Any]) -> tuple[str, str]:
    """federal or non-federal, with the reason: odq's default rule, as the catalogue does not say which it follows."""
    carrying = sum(1 for e in entries.values() if isinstance(e, dict) and any(k in e for k in FEDERAL_MARKERS))
    if entries and carrying * 2 >= len(entries):
        return "federal", f"{carrying} of {len(entries)} entries carry bureauCode/programCode (odq default rule)"
    return "non-federal", f"{carrying} of {len(entries)} entries carry bureauCode/programCode (odq default rule)"


def validate_entries(entries: Mapping[str, Any], folder: Path, which: str) -> list[EntryVerdict]:
    validator = _validator(str(folder), which)
    verdicts = []
    for native_id, entry in entries.items():
        errors = sorted(validator.iter_errors(entry), key=lambda e: [str(p) for p in e.absolute_path])
        verdicts.append(EntryVerdict(native_id, tuple(_said(e) for e in errors)))
    return verdicts


def _said(error: Any) -> str:
    from jsonschema.exceptions import best_match

    if error.validator in ("anyOf", "oneOf") and error.context:
        # "… is not valid under any of the given schemas" says nothing; the closest alternative's reason does.
        error = best_match(error.context)
    path = "/".join(str(p) for p in error.absolute_path)
    return f"{path}: {error.message}" if path else error.message


def evaluate(catalogue: Catalogue, entries: Iterable[tuple[str, Any]] | None) -> FamilyResult:
    """`entries` are the raw data.json entries by native id (None: the catalogue is not a data.json)."""
    result = FamilyResult(FAMILY)
    if entries is None:
        result.value(POD, None, reason="not a data.json catalogue")
        return result
    folder = schemas_dir()
    if folder is None:
        result.value(POD, None, reason=f"not assessed: the POD schemas are not configured (set {POD_SCHEMAS_ENV})")
        return result
    by_id = dict(entries)
    which, why = which_schema(by_id)
    try:
        verdicts = validate_entries(by_id, folder, which)
    except PodSchemasMissing as exc:
        result.value(POD, None, reason=f"not assessed: {exc}")
        return result
    failing = [v for v in verdicts if v.errors]
    share = 1 - len(failing) / len(verdicts) if verdicts else None
    errors = pd.Series([e.split(": ", 1)[-1] for v in failing for e in v.errors], dtype="object")
    result.value(POD, share, schema=which, schema_reason=why, entries=len(verdicts), failed=len(failing),
                 common_errors=errors.value_counts().head(10).to_dict())
    for verdict in failing[:MAX_FINDINGS_PER_MEASURE]:
        shown = "; ".join(verdict.errors[:ERRORS_PER_FINDING])
        result.dataset_finding(POD, verdict.native_id, POD_INVALID(schema=which, errors=shown,
                                                                   total=len(verdict.errors)))
    return result
