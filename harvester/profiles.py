"""Loading and validating YAML profiles: a bad profile is an error naming the file, the key and the expectation."""

from __future__ import annotations

import copy
import difflib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from profiles import PROFILES_DIR, SHIPPED_PORTALS_DIR, ProfileDir, portal_dirs

MAX_PROFILE_BYTES = 16 * 1024 * 1024  # a profile is a page of YAML; anything this large is a mistake
MAX_PROFILE_NODES = 200_000  # after aliases are expanded: refuses "billion laughs" before validation walks it
_SHOWN_VALUE_CHARS = 80


class ProfileError(ValueError):
    """A profile that cannot be used; the message names file, key and what was expected."""


# -- schemas --------------------------------------------------------------------------------------
def adapter_families() -> list[str]:
    """The `software` values odq has an adapter for, from the adapter registry (the one list of them)."""
    import harvester.adapters as adapters  # here, not at the top: adapters import this module

    families = getattr(adapters, "families", None)
    return list(families()) if callable(families) else sorted(adapters.REGISTRY)


@cache
def schema(name: str) -> dict[str, Any]:
    loaded = json.loads((PROFILES_DIR / "schemas" / f"{name}.schema.json").read_text(encoding="utf-8"))
    if name == "portal":
        loaded["properties"]["software"]["enum"] = adapter_families()
    return loaded


@cache
def _validator(name: str) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(schema(name))


# -- error wording --------------------------------------------------------------------------------
_TYPE_WORDS = {"integer": "an integer", "number": "a number", "string": "a string", "boolean": "true or false",
               "object": "a mapping", "array": "a list", "null": "null"}


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= _SHOWN_VALUE_CHARS else text[:_SHOWN_VALUE_CHARS - 1] + "…"


def _key_text(parts: Sequence[Any]) -> str:
    # A key holding a newline or a quote must not break the one-line message.
    return ".".join(str(p) if str(p).isprintable() and "'" not in str(p) else repr(str(p)) for p in parts)


def _resolve(subschema: Any, root: dict[str, Any]) -> Any:
    """A local "$ref": "#/$defs/x" followed (the only kind odq's schemas use)."""
    seen = 0
    while isinstance(subschema, dict) and str(subschema.get("$ref", "")).startswith("#/") and seen < 20:
        node: Any = root
        for part in subschema["$ref"][2:].split("/"):
            node = node.get(part, {}) if isinstance(node, dict) else {}
        subschema, seen = node, seen + 1
    return subschema


def _describe(subschema: Any, root: dict[str, Any]) -> str:
    """What a schema asks for, in words: 'an integer >= 1', 'a number from 0 to 1', 'one of a, b'."""
    subschema = _resolve(subschema, root)
    if not isinstance(subschema, dict):
        return "a valid value"
    if "x-expected" in subschema:
        return str(subschema["x-expected"])
    for combinator in ("oneOf", "anyOf"):
        if combinator in subschema:
            return " or ".join(dict.fromkeys(_describe(s, root) for s in subschema[combinator]))
    if "enum" in subschema:
        return "one of " + ", ".join(map(str, subschema["enum"]))
    types = subschema.get("type")
    names = [types] if isinstance(types, str) else list(types or [])
    words = " or ".join(_TYPE_WORDS.get(t, str(t)) for t in names) or "a value"
    if subschema.get("minLength") == 1 and names == ["string"]:
        words = "a non-empty string"
    low, high = subschema.get("minimum"), subschema.get("maximum")
    if low is not None and high is not None:
        words += f" from {low} to {high}"
    else:
        bounds = [f"{sign} {subschema[k]}" for k, sign in (("minimum", ">="), ("exclusiveMinimum", ">"),
                                                           ("maximum", "<="), ("exclusiveMaximum", "<"))
                  if subschema.get(k) is not None]
        words += "".join(f" {b}" if i == 0 else f" and {b}" for i, b in enumerate(bounds))
    if "pattern" in subschema:
        words += f" matching {subschema['pattern']}"
    return words


def _key_path(error: jsonschema.ValidationError, prefix: Sequence[str] = ()) -> str:
    parts = [*prefix, *error.absolute_path]
    if error.validator == "required":
        parts.append(error.message.split("'")[1] if "'" in error.message else "?")
    return _key_text(parts) or "(top level)"


def _expectation(error: jsonschema.ValidationError, root: dict[str, Any]) -> str:
    if error.validator == "required":
        return "a required key is missing"
    if error.validator == "additionalProperties":
        allowed = ", ".join(sorted(error.schema.get("properties", {})))
        return f"unknown key (allowed: {allowed})"
    if error.validator in ("type", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minLength",
                           "maxLength", "pattern", "enum", "oneOf", "anyOf"):
        return f"expected {_describe(error.schema, root)}, got {_shown(error.instance)}"
    if error.validator == "minItems":
        return f"expected at least {error.validator_value} item(s), got {_shown(error.instance)}"
    return error.message.splitlines()[0][:200] if error.message else "an invalid value"


def _lines(error: jsonschema.ValidationError, source: str | Path, prefix: Sequence[str],
           root: dict[str, Any]) -> list[str]:
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        base = [*prefix, *error.absolute_path]
        extras = sorted((k for k in error.instance if k not in error.schema.get("properties", {})), key=str)
        return [f"{source}: key '{_key_text([*base, extra])}': {_expectation(error, root)}" for extra in extras]
    return [f"{source}: key '{_key_path(error, prefix)}': {_expectation(error, root)}"]


def validate(data: Any, schema_name: str, source: str | Path, prefix: Sequence[str] = ()) -> None:
    """Validate against a schema; `prefix` is where `data` sits in its file (options of a portal, say)."""
    validate_against(data, schema(schema_name), source, prefix, _validator(schema_name))


def validate_against(data: Any, root: dict[str, Any], source: str | Path, prefix: Sequence[str] = (),
                     validator: jsonschema.Draft202012Validator | None = None) -> None:
    """Validate against a schema given as data (one completed from code, say), with the same error wording."""
    validator = validator or jsonschema.Draft202012Validator(root)
    try:
        errors = sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
    except RecursionError:
        raise ProfileError(f"{source}: key '(top level)': nested too deeply to be a profile") from None
    if errors:
        lines = [line for e in errors for line in _lines(e, source, prefix, root)]
        raise ProfileError("\n".join(dict.fromkeys(lines)))


# -- reading YAML ---------------------------------------------------------------------------------
class DuplicateKey(yaml.YAMLError):
    """A mapping gives the same key twice (PyYAML would silently keep the last)."""

    def __init__(self, key_path: Sequence[Any], first_line: int, second_line: int) -> None:
        super().__init__(f"key {_key_text(key_path)!r} given twice")
        self.key_path, self.first_line, self.second_line = list(key_path), first_line, second_line


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader whose documents are checked for repeated keys (see _refuse_duplicate_keys) before construction."""


def _refuse_duplicate_keys(root: yaml.Node) -> None:
    """A key repeated in one mapping is refused with its dotted path; merge keys (<<) may still be overridden.

    Walked over the composed nodes, not in construct_mapping, because nodes carry the line of each key and the
    walk knows the path from the top; each mapping is looked at once however many aliases point at it.
    """
    seen_nodes: set[int] = set()
    stack: list[tuple[yaml.Node, list[Any]]] = [(root, [])]
    while stack:
        node, where = stack.pop()
        if id(node) in seen_nodes:
            continue
        seen_nodes.add(id(node))
        if isinstance(node, yaml.MappingNode):
            first_seen: dict[tuple[str, str], int] = {}
            for key_node, value_node in node.value:
                scalar = isinstance(key_node, yaml.ScalarNode)
                if scalar and key_node.tag != "tag:yaml.org,2002:merge":
                    key, line = (key_node.tag, key_node.value), key_node.start_mark.line + 1
                    if key in first_seen:
                        raise DuplicateKey([*where, key_node.value], first_seen[key], line)
                    first_seen[key] = line
                stack.append((value_node, [*where, key_node.value if scalar else "?"]))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((item, [*where, index]) for index, item in enumerate(node.value))


# A date typed bare (modified: 2024-01-31) stays the text it is: profiles are JSON data, and JSON has no dates.
_UniqueKeyLoader.add_constructor("tag:yaml.org,2002:timestamp", yaml.SafeLoader.construct_scalar)


class _RecursiveAlias(Exception):
    """An alias that refers to the mapping or list containing it: a structure without end."""


def _expanded_size(root: yaml.Node) -> int:
    """Nodes the document becomes once aliases are expanded; a node that contains itself is refused."""
    sizes: dict[int, int] = {}
    visiting: set[int] = set()

    def size(node: yaml.Node) -> int:
        if id(node) in sizes:
            return sizes[id(node)]
        if id(node) in visiting:
            raise _RecursiveAlias("an alias refers to the mapping or list that contains it")
        visiting.add(id(node))
        total = 1
        if isinstance(node, yaml.MappingNode):
            total += sum(size(k) + size(v) for k, v in node.value)
        elif isinstance(node, yaml.SequenceNode):
            total += sum(size(item) for item in node.value)
        visiting.discard(id(node))
        sizes[id(node)] = min(total, MAX_PROFILE_NODES + 1)
        return sizes[id(node)]

    return size(root)


def _yaml_problem(exc: yaml.YAMLError) -> str:
    """A PyYAML error in one line: the problem and where it is."""
    if isinstance(exc, yaml.reader.ReaderError) and isinstance(exc.character, int):
        return f"character U+{exc.character:04X} at position {exc.position}: {exc.reason}"
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        text = " ".join(p for p in (exc.context, exc.problem) if p)
        return f"{text}{where}"
    return " ".join(str(exc).split())


def load_yaml(path: Path) -> Any:
    """The YAML document in a file; every way it can be unreadable is a ProfileError naming the file."""
    path = Path(path)
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_PROFILE_BYTES + 1)
    except OSError as exc:
        raise ProfileError(f"{path}: cannot be read: {exc.strerror or exc}") from None
    if len(raw) > MAX_PROFILE_BYTES:
        raise ProfileError(f"{path}: larger than {MAX_PROFILE_BYTES // (1024 * 1024)} MB, not a profile")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProfileError(f"{path}: not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start}); "
                           "save it as UTF-8") from None
    loader = None
    try:
        loader = _UniqueKeyLoader(text)  # the reader refuses control characters here, before any parsing
        node = loader.get_single_node()
        if node is None:
            return None
        if _expanded_size(node) > MAX_PROFILE_NODES:
            raise ProfileError(f"{path}: more than {MAX_PROFILE_NODES:,} values once aliases are expanded")
        _refuse_duplicate_keys(node)
        data = loader.construct_document(node)
    except ProfileError:
        raise
    except DuplicateKey as exc:
        first = "earlier on the same line" if exc.first_line == exc.second_line else f"first on line {exc.first_line}"
        raise ProfileError(f"{path}: duplicate key '{_key_text(exc.key_path)}' (line {exc.second_line}): expected "
                           f"each key once per mapping ({first})") from None
    except yaml.YAMLError as exc:
        raise ProfileError(f"{path}: not valid YAML: {_yaml_problem(exc)}") from None
    except _RecursiveAlias as exc:
        raise ProfileError(f"{path}: not a profile: {exc}") from None
    except RecursionError:
        raise ProfileError(f"{path}: not a profile: nested too deeply") from None
    except (ValueError, OverflowError) as exc:  # PyYAML's constructors let some bad scalars through this way
        raise ProfileError(f"{path}: not valid YAML: {' '.join(str(exc).split())}") from None
    finally:
        if loader is not None:
            loader.dispose()
    _refuse_non_json(data, path, [])
    return data


_JSON_SCALARS = (str, int, float, bool, type(None))


def _refuse_non_json(value: Any, path: Path, where: list[Any]) -> None:
    """Profiles are JSON data: a !!set, !!binary or other tagged value is refused where it stands."""
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, _JSON_SCALARS):
                raise ProfileError(f"{path}: key '{_key_text(where) or '(top level)'}': expected text or number "
                                   f"keys, got {type(key).__name__} {_shown(key)}")
            _refuse_non_json(item, path, [*where, key])
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _refuse_non_json(item, path, [*where, index])
    elif not isinstance(value, _JSON_SCALARS):
        raise ProfileError(f"{path}: key '{_key_text(where) or '(top level)'}': expected a JSON value (text, "
                           f"number, true/false, list or mapping), got {type(value).__name__}")


def _top_mapping(data: Any, path: Path) -> dict[str, Any]:
    if not isinstance(data, dict):
        got = "an empty file" if data is None else f"{_TYPE_WORDS.get(type(data).__name__, type(data).__name__)}"
        if isinstance(data, list):
            got = "a list"
        elif isinstance(data, str):
            got = f"a string {_shown(data)}"
        raise ProfileError(f"{path}: key '(top level)': expected a mapping of keys to values, got {got}")
    return data


def load_profile(path: Path, schema_name: str) -> dict[str, Any]:
    data = _top_mapping(load_yaml(path), path)
    validate(data, schema_name, path)
    return data


# -- portal profiles: what JSON Schema cannot say -------------------------------------------------
CRON_EXPECTATION = "a cron expression (minute hour day month weekday), e.g. '0 3 * * 1'"
_CRON_NICKNAMES = frozenset(("@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"))
_CRON_PROBE_START = datetime(2000, 1, 1)  # a fixed start: whether an expression ever fires does not depend on today


def cron_problem(schedule: Any) -> str | None:
    """Why a `schedule` is not a five-field cron expression croniter can run, in a few words; None when it is.

    croniter also takes six or seven fields (seconds, years); odq's profiles say five, so a sixth field is a
    mistake rather than seconds.
    """
    from croniter import CroniterError, croniter

    if not isinstance(schedule, str) or not schedule.strip():
        return "empty"
    text = schedule.strip()
    fields = text.split()
    if text.lower() not in _CRON_NICKNAMES and len(fields) != 5:
        return f"{len(fields)} field{'s' if len(fields) != 1 else ''} where 5 are needed"
    try:
        expression = croniter(text, _CRON_PROBE_START)
        expression.get_next(datetime)  # "0 0 30 2 *" parses but never fires
    except CroniterError as exc:
        reason = " ".join(str(exc).split())
        reason = reason.split("] ", 1)[1] if reason.startswith("[") and "] " in reason else reason
        if "failed to find" in reason:
            return "it never fires"
        return f"a field {reason}" if reason.startswith("is not acceptable") else reason
    except (ValueError, KeyError, TypeError, AttributeError, IndexError, OverflowError) as exc:
        return " ".join(str(exc).split()) or type(exc).__name__
    return None


def _schedule_problem(schedule: str, source: str | Path) -> str | None:
    reason = cron_problem(schedule)
    if reason is None:
        return None
    return f"{source}: key 'schedule': expected {CRON_EXPECTATION}, got {_shown(schedule)} ({reason})"


# Adapters that validate their options as a document of their own name it "portal 'ID' options", keys relative to it.
_OPTIONS_SOURCE = re.compile(r"^portal '[^']*' options: (?:key '([^']*)'(?=:))?")


def _options_line(line: str, source: str | Path) -> str:
    """One line of an adapter's refusal, told against the profile file with the key from the top of the file."""
    line = " ".join(line.split())
    match = _OPTIONS_SOURCE.match(line)
    if match:
        key = match.group(1)
        if key is None:
            return f"{source}: key 'options': {line[match.end():]}"
        key = key if key.startswith("options") else f"options.{key}" if key != "(top level)" else "options"
        return f"{source}: key '{key}'{line[match.end():]}"
    return line if line.startswith(f"{source}: ") else f"{source}: {line}"


def _options_problem(exc: ValueError, source: str | Path) -> str:
    """An adapter's refusal of an option, worded like the schema's: file, key, expectation."""
    key = getattr(exc, "key", None)
    expectation = getattr(exc, "expectation", None)
    if key is None or expectation is None:
        return "\n".join(_options_line(line, source) for line in str(exc).splitlines() if line.strip())
    key = str(key) if str(key).startswith("options") else f"options.{key}"
    text = str(expectation) if str(expectation).startswith("expected") else f"expected {expectation}"
    if hasattr(exc, "value") and "got " not in text:
        text += f", got {_shown(exc.value)}"
    return f"{source}: key '{key}': {text}"


def _check_options(profile: dict[str, Any], source: str | Path) -> str | None:
    import harvester.adapters as adapters

    check = getattr(adapters, "check_options", None)
    try:
        if callable(check):
            check(profile)
        elif isinstance(profile.get("options"), dict) and (PROFILES_DIR / "schemas" /
                                                          f"{profile['software']}.schema.json").exists():
            validate(profile["options"], profile["software"], source, prefix=("options",))
    except ValueError as exc:  # OptionsError and ProfileError are both ValueErrors
        return _options_problem(exc, source)
    return None


def check_portal(profile: dict[str, Any], source: str | Path) -> None:
    """The checks after the schema: the schedule parses as cron, the adapter accepts the options."""
    problems = []
    if isinstance(profile.get("schedule"), str):
        problems.append(_schedule_problem(profile["schedule"], source))
    problems.append(_check_options(profile, source))
    if any(problems):
        raise ProfileError("\n".join(p for p in problems if p))


def load_portal(path: Path) -> dict[str, Any]:
    profile = load_profile(path, "portal")
    check_portal(profile, path)
    return profile


@dataclass(frozen=True, slots=True)
class HarvestSettings:
    """A profile's `harvest:` limits, with odq's defaults for what it leaves out."""

    count_tolerance: float = 0.01  # share of the portal's own count that may be missing from a complete listing
    deadline_minutes: float = 360.0
    request_deadline_seconds: float = 300.0

    @classmethod
    def from_profile(cls, profile: dict[str, Any]) -> HarvestSettings:
        given = profile.get("harvest") or {}
        return cls(**{k: float(given[k]) for k in ("count_tolerance", "deadline_minutes",
                                                   "request_deadline_seconds") if given.get(k) is not None})


# -- where portal profiles are --------------------------------------------------------------------
def portal_profile_paths(directory: Path | None = None) -> list[Path]:
    """The profile files in one directory (default: the shipped profiles/portals)."""
    directory = Path(directory) if directory is not None else SHIPPED_PORTALS_DIR
    return sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")])


@dataclass(slots=True)
class PortalEntry:
    """A portal profile found on the search path: the first file with an id wins, later ones are shadowed."""

    portal_id: str
    path: Path
    origin: str  # the ProfileDir origin: "--profiles", "ODQ_PROFILES", "user" or "shipped"
    profile: dict[str, Any] | None = None
    error: str | None = None
    shadowed: list[Path] = field(default_factory=list)


def _entry(path: Path, origin: str) -> PortalEntry:
    try:
        data = load_yaml(path)
    except ProfileError as exc:
        return PortalEntry(path.stem, path, origin, error=str(exc))
    declared = data.get("id") if isinstance(data, dict) else None
    portal_id = declared if isinstance(declared, str) and declared else path.stem
    try:
        profile = _top_mapping(data, path)
        validate(profile, "portal", path)
        check_portal(profile, path)
    except ProfileError as exc:
        return PortalEntry(portal_id, path, origin, error=str(exc))
    return PortalEntry(portal_id, path, origin, profile=copy.deepcopy(profile))


def portal_entries(dirs: Sequence[ProfileDir] | None = None) -> list[PortalEntry]:
    """Every portal on the search path (default: portal_dirs()), first-found wins, in search order."""
    entries: dict[str, PortalEntry] = {}
    for source in portal_dirs() if dirs is None else dirs:
        for path in portal_profile_paths(source.path):
            entry = _entry(path, source.origin)
            if entry.portal_id in entries:
                entries[entry.portal_id].shadowed.append(path)
            else:
                entries[entry.portal_id] = entry
    return list(entries.values())


def find_portal(reference: str, directory: Path | None = None) -> dict[str, Any]:
    """A portal by file stem, then by id, on the search path (or in `directory`); or by the path of a profile."""
    candidate = Path(reference)
    if candidate.suffix in (".yaml", ".yml") and (candidate.exists() or candidate.parent != Path(".")):
        return load_portal(candidate)
    dirs = [ProfileDir(Path(directory), "given")] if directory is not None else portal_dirs()
    paths = [path for source in dirs for path in portal_profile_paths(source.path)]
    for path in paths:
        if path.stem == reference:
            return load_portal(path)
    for path in paths:
        try:
            data = load_yaml(path)
        except ProfileError:
            continue  # a broken file with another name is reported when it is asked for, not here
        if isinstance(data, dict) and data.get("id") == reference:
            return load_portal(path)
    near = difflib.get_close_matches(reference, sorted({p.stem for p in paths}), n=3)
    hint = f"; did you mean {', '.join(near)}?" if near else ""
    where = ", ".join(str(d.path) for d in dirs) or "(no profile directory)"
    raise ProfileError(f"no portal profile with id {reference!r} in {where}{hint}")
