"""Typed adapter options: one parser that reads a profile's `options` into a family's frozen dataclass.

A family declares its options as a frozen dataclass whose fields carry their limits (`option(100, minimum=1)`);
`parse_options` checks type and range of every value and refuses unknown keys, raising `OptionsError` with the
key, the expectation and the value given (after frictionless's typed portal controls).
"""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, field, fields
from typing import Any, TypeVar

from harvester.profiles import ProfileError

_NOTHING = object()
_SHOWN = 60  # characters of a refused value shown in a message


class OptionsError(ProfileError):
    """An option value the adapter cannot use: names the key, what was expected and what was given."""

    def __init__(self, key: str, expectation: str, value: Any = _NOTHING) -> None:
        self.key = key if key.startswith("options") else f"options.{key}"
        self.expectation = expectation
        text = f"key '{self.key}': expected {expectation}"
        if value is not _NOTHING:
            self.value = value
            text += f", got {_shown(value)}"
        super().__init__(text)


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= _SHOWN else text[: _SHOWN - 1] + "…"


def option(default: Any = MISSING, *, minimum: float | None = None, maximum: float | None = None,
           choices: tuple[str, ...] | None = None) -> Any:
    """A dataclass field with the limits the parser checks (minimum/maximum inclusive, choices for texts)."""
    return field(default=default, metadata={"minimum": minimum, "maximum": maximum, "choices": choices})


@dataclass(frozen=True)
class NoOptions:
    """A family that takes no options."""


OptionsT = TypeVar("OptionsT")


def parse_options(cls: type[OptionsT], raw: Any, *, family: str = "") -> OptionsT:
    """The family's Options from a profile's `options` mapping; OptionsError for the first bad value."""
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        raise OptionsError("options", "a mapping of option names to values", raw)
    declared = {f.name: f for f in fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(str(k) for k in raw if k not in declared)
    if unknown:
        known = ", ".join(declared) or "none"
        raise OptionsError(unknown[0], f"one of the {family or 'adapter'}'s options ({known})")
    hints = typing.get_type_hints(cls)
    values = {}
    for name, spec in declared.items():
        if name in raw:
            values[name] = _converted(name, raw[name], hints[name], spec.metadata)
    return cls(**values)


def _converted(key: str, value: Any, hint: Any, limits: Mapping[str, Any]) -> Any:
    optional, kinds = _kinds(hint)
    if value is None:
        if optional:
            return None
        raise OptionsError(key, _expectation(kinds, limits), value)
    for kind in kinds:
        converted = _as(kind, value)
        if converted is not _NOTHING:
            _check_limits(key, converted, kinds, limits)
            return converted
    raise OptionsError(key, _expectation(kinds, limits), value)


def _kinds(hint: Any) -> tuple[bool, list[Any]]:
    """(None allowed, the other accepted types) of an annotation such as `int | None` or `str | tuple[str, ...]`."""
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        members = list(typing.get_args(hint))
    else:
        members = [hint]
    optional = type(None) in members
    return optional, [m for m in members if m is not type(None)]


def _as(kind: Any, value: Any) -> Any:
    if kind is bool:
        return value if isinstance(value, bool) else _NOTHING
    if kind is int:
        return value if isinstance(value, int) and not isinstance(value, bool) else _NOTHING
    if kind is float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return float(value) if ok else _NOTHING
    if kind is str:
        return value if isinstance(value, str) and value.strip() else _NOTHING
    if typing.get_origin(kind) is tuple:  # tuple[str, ...]: a list of texts, or one text
        items = [value] if isinstance(value, str) else value
        if isinstance(items, list) and items and all(isinstance(i, str) and i.strip() for i in items):
            return tuple(items)
        return _NOTHING
    if kind is dict or typing.get_origin(kind) is dict:
        return value if isinstance(value, dict) else _NOTHING
    if kind is Any:
        return value
    raise TypeError(f"option type {kind!r} is not supported by parse_options")


def _check_limits(key: str, value: Any, kinds: list[Any], limits: Mapping[str, Any]) -> None:
    minimum, maximum, choices = limits.get("minimum"), limits.get("maximum"), limits.get("choices")
    if choices and value not in choices:
        raise OptionsError(key, _expectation(kinds, limits), value)
    numeric = isinstance(value, int | float) and not isinstance(value, bool)
    if numeric and ((minimum is not None and value < minimum) or (maximum is not None and value > maximum)):
        raise OptionsError(key, _expectation(kinds, limits), value)


def _expectation(kinds: list[Any], limits: Mapping[str, Any]) -> str:
    minimum, maximum, choices = limits.get("minimum"), limits.get("maximum"), limits.get("choices")
    if choices:
        return "one of " + ", ".join(choices)
    words = []
    for kind in kinds:
        if kind in (int, float):
            noun = "an integer" if kind is int else "a number"
            if minimum is not None and maximum is not None:
                noun += f" from {minimum:g} to {maximum:g}"
            elif minimum is not None:
                noun += f" >= {minimum:g}"
            elif maximum is not None:
                noun += f" <= {maximum:g}"
            words.append(noun)
        elif kind is bool:
            words.append("true or false")
        elif kind is str:
            words.append("a non-empty text")
        elif typing.get_origin(kind) is tuple:
            words.append("a list of texts")
        elif kind is dict or typing.get_origin(kind) is dict:
            words.append("a mapping")
        else:
            words.append("a value")
    return " or ".join(dict.fromkeys(words))
