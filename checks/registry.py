"""The one registry of measures: every family module's MeasureSpec constants by id, with their rules' parameters.

Assess, scoring and reports read it; an indicator profile naming a measure that is not here fails to load. The
parameters of the rules (the timeliness grace, the reply window…) are declared in checks/rules.py and valued in the
rules profile (profiles/rules/odq-default.yaml), which the registry loads, checks and attaches to their measures with
their provenance, so a report can list them.
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from functools import cache
from types import ModuleType

from checks.findings import FindingType
from checks.measures import MeasureSpec, Parameter
from checks.rules import RuleParameter, default_rules

FAMILY_MODULES = (
    "checks.classification",
    "checks.fields",
    "checks.frequency",
    "checks.formats",
    "checks.domains",
    "checks.usage",
    "checks.conformance",
    "checks.portalwatch",
    "checks.mqa",
)


class RegistryError(RuntimeError):
    """Two declarations of one measure id, or a rule parameter declared for a measure no family module declares."""


@dataclass(frozen=True, slots=True)
class MeasureRegistry:
    """Measure declarations by id, in the order the family modules declare them."""

    specs: Mapping[str, MeasureSpec]
    modules: Mapping[str, str]  # measure id → the module that declares it

    def __contains__(self, measure_id: object) -> bool:
        return measure_id in self.specs

    def __iter__(self) -> Iterator[MeasureSpec]:
        return iter(self.specs.values())

    def __len__(self) -> int:
        return len(self.specs)

    def get(self, measure_id: str) -> MeasureSpec | None:
        return self.specs.get(measure_id)

    def __getitem__(self, measure_id: str) -> MeasureSpec:
        spec = self.specs.get(measure_id)
        if spec is None:
            raise KeyError(self.unknown(measure_id))
        return spec

    def ids(self) -> list[str]:
        return list(self.specs)

    def unknown(self, measure_id: str) -> str:
        """Why an id is refused, with the nearest known ids: "unknown measure 'timly_share' (did you mean …?)"."""
        ratios = sorted(((difflib.SequenceMatcher(None, str(measure_id), known).ratio(), known)
                         for known in self.ids()), reverse=True)
        # Only the ids nearly as close as the closest: a one-letter typo names one id, not three.
        near = [known for ratio, known in ratios[:3] if ratio >= 0.6 and ratio >= ratios[0][0] - 0.1]
        if near:
            return f"unknown measure {measure_id!r} (did you mean {' or '.join(near)}?)"
        return f"unknown measure {measure_id!r} (known measures: {', '.join(sorted(self.ids()))})"

    def odq_defaults(self, measure_id: str) -> list[Parameter]:
        spec = self.specs.get(measure_id)
        return [p for p in spec.parameters if p.source == "odq-default"] if spec else []


def _declared(module: ModuleType) -> Iterator[MeasureSpec]:
    seen: set[int] = set()
    for value in vars(module).values():
        if isinstance(value, MeasureSpec) and id(value) not in seen:
            seen.add(id(value))
            yield value


def collect(modules: Iterable[ModuleType], rules: Iterable[RuleParameter] = ()) -> MeasureRegistry:
    """The registry of the MeasureSpec constants in `modules`, with the default value of each rule parameter
    attached to the measures it shapes; an id declared twice is refused, naming both places."""
    specs: dict[str, MeasureSpec] = {}
    where: dict[str, str] = {}
    for module in modules:
        for spec in _declared(module):
            if spec.id in specs and specs[spec.id] is not spec:  # the same object imported elsewhere is one measure
                raise RegistryError(f"measure id {spec.id!r} is declared twice: in {where[spec.id]} and in "
                                    f"{module.__name__}")
            specs.setdefault(spec.id, spec)
            where.setdefault(spec.id, module.__name__)
    for rule in rules:
        for measure_id in rule.measures:
            if measure_id not in specs:
                raise RegistryError(f"rule parameter {rule.key!r} (checks/rules.py) is declared for measure "
                                    f"{measure_id!r}, which no family module declares")
            spec = specs[measure_id]
            if spec.parameter(rule.name) is None:  # what the module declares on the spec itself comes first
                parameter = Parameter(rule.name, rule.value, rule.source, f"{rule.meaning}; {rule.reason}",
                                      f"{rule.meaning_zh}；{rule.reason_zh}", unit=rule.unit, key=rule.key,
                                      reference=rule.reference)
                specs[measure_id] = replace(spec, parameters=(*spec.parameters, parameter))
    return MeasureRegistry(specs, where)


@cache
def registry() -> MeasureRegistry:
    """Every measure odq can take, collected once from the family modules, with the default rules profile."""
    return collect((importlib.import_module(name) for name in FAMILY_MODULES), default_rules().parameters)


def collect_finding_types(modules: Iterable[ModuleType]) -> dict[str, FindingType]:
    """The FindingType constants in `modules` by code; a code declared twice is refused, naming both places."""
    types: dict[str, FindingType] = {}
    where: dict[str, str] = {}
    for module in modules:
        for value in vars(module).values():
            if not isinstance(value, FindingType):
                continue
            if value.code in types and types[value.code] is not value:
                raise RegistryError(f"finding code {value.code!r} is declared twice: in {where[value.code]} and in "
                                    f"{module.__name__}")
            types.setdefault(value.code, value)
            where.setdefault(value.code, module.__name__)
    return types


@cache
def finding_types() -> dict[str, FindingType]:
    """Every finding type the family modules declare, by code: what a report reads a stored finding's code with."""
    return collect_finding_types(importlib.import_module(name) for name in FAMILY_MODULES)
