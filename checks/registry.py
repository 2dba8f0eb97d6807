"""The one registry of measures: every family module's MeasureSpec constants by id, with their rules' parameters.

Assess, scoring and reports read it; an indicator profile naming a measure that is not here fails to load. Rule
constants that still live as module constants in a family module (the timeliness grace, the reply window…) are read
from the module here and attached to their measure as odq defaults, so a report can list them.
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from functools import cache
from types import ModuleType

from checks.measures import MeasureSpec, Parameter

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
    """Two declarations of one measure id, or a rule constant the registry expects that a module no longer has."""


@dataclass(frozen=True, slots=True)
class ModuleConstant:
    """A rule constant kept in a family module, and the measure whose rule it is."""

    measure: str
    module: str
    constant: str
    name: str  # the parameter's name in reports
    note: str  # English
    note_zh: str


# Constants the published schemes do not give: odq's choices, read from the modules so the value shown is the one used.
MODULE_CONSTANTS: tuple[ModuleConstant, ...] = (
    ModuleConstant("timely_share", "checks.frequency", "GRACE_FACTOR", "grace_factor",
                   "on time when modified within period × (1 + grace_factor) + grace_days",
                   "更新间隔不超过 声明周期 ×（1 + 宽限系数）+ 宽限天数 即为及时"),
    ModuleConstant("timely_share", "checks.frequency", "GRACE_DAYS", "grace_days",
                   "days added to the declared period before a dataset counts as late",
                   "判定逾期前在声明周期之外另加的宽限天数"),
    ModuleConstant("observed_cadence_share", "checks.frequency", "GRACE_FACTOR", "grace_factor",
                   "a gap between changes longer than 2 × period × (1 + grace_factor) + grace_days misses the cadence",
                   "两次变更间隔超过 2 × 声明周期 ×（1 + 宽限系数）+ 宽限天数 即为未按频度更新"),
    ModuleConstant("observed_cadence_share", "checks.frequency", "GRACE_DAYS", "grace_days",
                   "days added to twice the declared period", "在两倍声明周期之外另加的宽限天数"),
    ModuleConstant("stale_fast_claims", "checks.frequency", "STALE_FAST_DAYS", "stale_days",
                   "a 实时/每日 dataset untouched this many days is flagged", "声称实时/每日但超过该天数未更新即标记"),
    ModuleConstant("fields_described_share", "checks.fields", "DOCUMENTED_ENOUGH", "described_field_share",
                   "a dataset counts as documented when this share of its fields is described",
                   "数据集中有说明的字段达到该比例即视为说明充分"),
    ModuleConstant("data_request_reply_share", "checks.usage", "REPLY_DAYS", "reply_days",
                   "a data request answered within this many days counts as answered in time (及时)",
                   "申请在该天数内得到答复即视为及时答复"),
    ModuleConstant("tiny_datasets", "checks.formats", "TINY_RECORDS", "min_records",
                   "a dataset the portal says holds fewer records than this is tiny",
                   "平台标称的数据条数少于该值即为数据量过小"),
)


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


def collect(modules: Iterable[ModuleType], constants: Iterable[ModuleConstant] = ()) -> MeasureRegistry:
    """The registry of the MeasureSpec constants in `modules`; an id declared twice is refused, naming both places."""
    specs: dict[str, MeasureSpec] = {}
    where: dict[str, str] = {}
    loaded = {}
    for module in modules:
        loaded[module.__name__] = module
        for spec in _declared(module):
            if spec.id in specs and specs[spec.id] is not spec:  # the same object imported elsewhere is one measure
                raise RegistryError(f"measure id {spec.id!r} is declared twice: in {where[spec.id]} and in "
                                    f"{module.__name__}")
            specs.setdefault(spec.id, spec)
            where.setdefault(spec.id, module.__name__)
    for constant in constants:
        if constant.measure not in specs:
            raise RegistryError(f"rule constant {constant.module}.{constant.constant} is listed for measure "
                                f"{constant.measure!r}, which no family module declares")
        module = loaded.get(constant.module) or importlib.import_module(constant.module)
        if not hasattr(module, constant.constant):
            raise RegistryError(f"rule constant {constant.module}.{constant.constant} (parameter "
                                f"{constant.name!r} of {constant.measure!r}) no longer exists; update "
                                f"checks/registry.py MODULE_CONSTANTS")
        spec = specs[constant.measure]
        if spec.parameter(constant.name) is None:  # what the module declares on the spec itself comes first
            parameter = Parameter(constant.name, getattr(module, constant.constant), "odq-default",
                                  f"{constant.note} ({constant.module}.{constant.constant})", constant.note_zh)
            specs[constant.measure] = replace(spec, parameters=(*spec.parameters, parameter))
    return MeasureRegistry(specs, where)


@cache
def registry() -> MeasureRegistry:
    """Every measure odq can take, collected once from the family modules."""
    return collect((importlib.import_module(name) for name in FAMILY_MODULES), MODULE_CONSTANTS)
