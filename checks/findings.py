"""Findings as types, after frictionless's error classes: a code, message templates in Chinese and English, and
the values a finding fills them with.

A check says *what* it found (`NO_CATEGORY()`, `LATE_UPDATE(raw=…, age=…)`); the finding row keeps the code and
the values, so a report says it in its language from the type's templates, and an appeal sees the numbers, not a
sentence to re-read. The English text is also stored, rendered once, for plain exports and old readers.

Placeholders named in `portal_text` hold what the portal wrote (titles, labels, URLs): never translated, always
escaped. Placeholders named in `vocabulary` hold a code the report says in its language (a frequency, a domain,
the date a judgement used); the vocabularies themselves live with the report's message catalogue.
"""

from __future__ import annotations

import math
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

UNKNOWN_EN = "unknown"


def placeholders(template: str) -> set[str]:
    return {name for _literal, name, _spec, _conv in string.Formatter().parse(template) if name}


@dataclass(frozen=True, slots=True)
class FindingType:
    """One kind of finding; calling it with values gives a `Said` to attach to a dataset or the portal."""

    code: str  # kebab-case, stable: stored with every finding
    en: str
    zh: str
    portal_text: frozenset[str] = frozenset()
    vocabulary: Mapping[str, str] = field(default_factory=dict)  # placeholder → vocabulary name

    def __post_init__(self) -> None:
        names_en, names_zh = placeholders(self.en), placeholders(self.zh)
        if names_en != names_zh:
            raise ValueError(f"finding type {self.code}: the templates name different values "
                             f"(en {sorted(names_en)}, zh {sorted(names_zh)})")
        stray = (set(self.portal_text) | set(self.vocabulary)) - names_en
        if stray:
            raise ValueError(f"finding type {self.code}: {sorted(stray)} are not placeholders of its templates")

    @property
    def names(self) -> set[str]:
        return placeholders(self.en)

    def __call__(self, **values: Any) -> Said:
        missing = self.names - set(values)
        extra = set(values) - self.names
        if missing or extra:
            raise TypeError(f"finding type {self.code}: missing values {sorted(missing)}, unexpected {sorted(extra)}")
        return Said(self, {name: clean_value(value) for name, value in values.items()})

    def english(self, values: Mapping[str, Any]) -> str:
        """The English text with the values as stored (vocabulary codes as they are)."""
        return self.en.format_map({name: value_text(values.get(name)) for name in self.names})


@dataclass(frozen=True, slots=True)
class Said:
    """A finding type with its values: what a check found, before it is tied to a dataset and a measure."""

    type: FindingType
    values: Mapping[str, Any]

    def row(self, family: str, measure_id: str, native_id: str | None = None,
            title: str | None = None) -> dict[str, Any]:
        """The finding as stored (checks.results.FindingRow)."""
        return {"family": family, "measure_id": measure_id, "native_id": native_id,
                "title": None if title is None else str(clean_value(title) or "") or None,
                "code": self.type.code, "values": dict(self.values), "message": self.type.english(self.values)}


def clean_value(value: Any) -> Any:
    """A value fit to store as JSON and to show: pandas' and numpy's missing values become None, never "nan"."""
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if type(value).__name__ in {"NAType", "NaTType"}:
        return None
    if isinstance(value, list | tuple):
        return [clean_value(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if hasattr(value, "item") and not isinstance(value, str):  # numpy scalars
        return clean_value(value.item())
    if isinstance(value, bool | int | float | str):
        return value
    return str(value)


# Texts that say nothing was there: pandas' missing values read back as text, and blanks.
MISSING_TEXTS = frozenset({"", "nan", "NaN", "None", "none", "<NA>", "NaT", "?"})


def value_text(value: Any, unknown: str = UNKNOWN_EN, none: str = "none", separator: str = ", ",
               say: Callable[[str], str] | None = None) -> str:
    """A value as text in a message: a list joined (empty: `none`), a missing value said as `unknown`, and each
    present value passed through `say` (a report's vocabulary) when one is given."""
    if isinstance(value, list):
        return separator.join(value_text(v, unknown, none, separator, say) for v in value) if value else none
    if value is None or (isinstance(value, float) and math.isnan(value)) or str(value).strip() in MISSING_TEXTS:
        return unknown
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return say(str(value)) if say else str(value)
