"""What a check produces: declared measures, their values and the findings that explain bad values."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from checks.findings import FindingType, Said

MAX_FINDINGS_PER_MEASURE = 1000  # the count is always kept; beyond this only the first are stored

UNITS = ("share", "count", "days", "boolean", "stars")
GOOD_DIRECTIONS = ("high", "low")
PARAMETER_SOURCES = ("published", "odq-default")


@dataclass(frozen=True, slots=True)
class Parameter:
    """A constant a measure's rule depends on, and where its value comes from (the scheme, or odq's choice)."""

    name: str
    value: float | int | str | bool
    source: str  # published | odq-default
    note: str = ""  # English
    note_zh: str = ""
    unit: str = ""
    key: str = ""  # where a rules profile sets it ("frequency.grace_days"); empty for a constant of the scheme
    reference: str | None = None  # where the published scheme gives it

    def __post_init__(self) -> None:
        if self.source not in PARAMETER_SOURCES:
            raise ValueError(f"parameter {self.name!r}: source {self.source!r} is not one of {PARAMETER_SOURCES}")


@dataclass(frozen=True, slots=True)
class MeasureSpec:
    """A measure's declaration: what it is, its unit, what a good value looks like, and its rule's parameters."""

    id: str
    family: str
    unit: str  # share | count | days | boolean | stars
    title_zh: str
    title_en: str
    good: str = "high"  # high | low
    point: str | None = None  # the assessment point that mainly uses it, for the report
    parameters: tuple[Parameter, ...] = ()  # the rule's constants (grace, windows…), each with its provenance

    def parameter(self, name: str) -> Parameter | None:
        return next((p for p in self.parameters if p.name == name), None)


@dataclass(slots=True)
class ShareCheck:
    """A per-dataset pass/fail column whose share of passes is a measure, computed by a GX expectation.

    `passed` is True/False per dataset, or NA where the check does not apply (no frequency declared...).
    `explain` says why a dataset failed: one finding type for all, or a callable given only the failing datasets
    (so a million-row catalogue does not build a million findings) that returns one `Said` per dataset, in order.
    """

    spec: MeasureSpec
    passed: pd.Series
    explain: FindingType | Callable[[pd.Index], Iterable[Said]]
    mostly: float = 0.9  # what the GX expectation calls success, shown in the report

    def explained(self, failing: pd.Index) -> Iterable[Said]:
        if isinstance(self.explain, FindingType):
            return (self.explain() for _ in failing)
        return self.explain(failing)


@dataclass(slots=True)
class FamilyResult:
    family: str
    shares: list[ShareCheck] = field(default_factory=list)
    values: dict[str, tuple[MeasureSpec, float | None, dict[str, Any]]] = field(default_factory=dict)
    findings: list[dict[str, Any]] = field(default_factory=list)  # stored rows (checks.findings.Said.row)

    def value(self, spec: MeasureSpec, value: float | None, **detail: Any) -> None:
        self.values[spec.id] = (spec, None if value is None else float(value), detail)

    def portal_finding(self, spec: MeasureSpec, said: Said) -> None:
        self.findings.append(said.row(self.family, spec.id))

    def dataset_finding(self, spec: MeasureSpec, native_id: str, said: Said, title: str | None = None) -> None:
        """A finding about one dataset; its title is filled from the catalogue when not given."""
        self.findings.append(said.row(self.family, spec.id, native_id, title))
