"""Loading and validating YAML profiles: a bad profile is an error naming the file, the key and the expectation."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from profiles import PROFILES_DIR


class ProfileError(ValueError):
    """A profile that cannot be used; the message names file, key and what was expected."""


@cache
def schema(name: str) -> dict[str, Any]:
    return json.loads((PROFILES_DIR / "schemas" / f"{name}.schema.json").read_text(encoding="utf-8"))


def _key_path(error: jsonschema.ValidationError) -> str:
    parts = [str(p) for p in error.absolute_path]
    if error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else "?"
        parts.append(missing)
    if error.validator == "additionalProperties" and "'" in error.message:
        parts.append(error.message.split("'")[1])
    return ".".join(parts) or "(top level)"


def _expectation(error: jsonschema.ValidationError) -> str:
    if error.validator == "required":
        return "a required key is missing"
    if error.validator == "additionalProperties":
        allowed = ", ".join(sorted(error.schema.get("properties", {})))
        return f"unknown key (allowed: {allowed})"
    if error.validator == "enum":
        return f"expected one of {', '.join(map(str, error.validator_value))}, got {error.instance!r}"
    if error.validator == "type":
        return f"expected {error.validator_value}, got {type(error.instance).__name__} {error.instance!r}"
    if error.validator == "pattern":
        return f"expected a value matching {error.validator_value}, got {error.instance!r}"
    return error.message


def validate(data: Any, schema_name: str, source: str | Path) -> None:
    validator = jsonschema.Draft202012Validator(schema(schema_name))
    errors = sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        lines = []
        for e in errors:
            if e.validator == "additionalProperties" and isinstance(e.instance, dict):
                base = [str(p) for p in e.absolute_path]
                for extra in sorted(set(e.instance) - set(e.schema.get("properties", {}))):
                    lines.append(f"{source}: key '{'.'.join([*base, extra])}': {_expectation(e)}")
            else:
                lines.append(f"{source}: key '{_key_path(e)}': {_expectation(e)}")
        raise ProfileError("\n".join(lines))


def load_yaml(path: Path) -> Any:
    try:
        with path.open(encoding="utf-8") as handle:
            return yaml.safe_load(handle)
    except yaml.YAMLError as exc:
        raise ProfileError(f"{path}: not valid YAML: {exc}") from exc
    except OSError as exc:
        raise ProfileError(f"{path}: cannot be read: {exc.strerror}") from exc


def load_profile(path: Path, schema_name: str) -> dict[str, Any]:
    data = load_yaml(path)
    if not isinstance(data, dict):
        raise ProfileError(f"{path}: key '(top level)': expected a mapping, got {type(data).__name__}")
    validate(data, schema_name, path)
    return data


def portal_profile_paths(directory: Path | None = None) -> list[Path]:
    return sorted((directory or PROFILES_DIR / "portals").glob("*.yaml"))


def load_portal(path: Path) -> dict[str, Any]:
    return load_profile(path, "portal")


def find_portal(reference: str, directory: Path | None = None) -> dict[str, Any]:
    """A portal by id (a profile in profiles/portals) or by the path of a profile file."""
    candidate = Path(reference)
    if candidate.suffix in (".yaml", ".yml") and candidate.exists():
        return load_portal(candidate)
    for path in portal_profile_paths(directory):
        if path.stem == reference:
            return load_portal(path)
    for path in portal_profile_paths(directory):
        profile = load_yaml(path)
        if isinstance(profile, dict) and profile.get("id") == reference:
            return load_portal(path)
    raise ProfileError(f"no portal profile with id {reference!r} in {directory or PROFILES_DIR / 'portals'}")
