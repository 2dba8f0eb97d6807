"""Request templates and key paths for the profile-driven JSON adapter: filling placeholders, reading native JSON."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote

# The placeholders a request template may carry; anything else in braces (JSON text, GraphQL) is left alone.
PLACEHOLDER = re.compile(r"\{(page|page_size|offset|id)\}")
_MISSING = object()


def fill(template: Any, values: Mapping[str, Any]) -> Any:
    """The template with placeholders replaced; a value that is exactly one placeholder keeps the value's type.

    So `{"pageIndex": "{page}"}` becomes `{"pageIndex": 2}` (JSON bodies want numbers), while
    `"page_{page}.html"` becomes `"page_2.html"`.
    """
    if isinstance(template, str):
        whole = PLACEHOLDER.fullmatch(template)
        if whole and whole.group(1) in values:
            return values[whole.group(1)]
        return PLACEHOLDER.sub(lambda m: str(values.get(m.group(1), m.group(0))), template)
    if isinstance(template, dict):
        return {key: fill(value, values) for key, value in template.items()}
    if isinstance(template, list):
        return [fill(value, values) for value in template]
    return template


def fill_url(template: str, values: Mapping[str, Any]) -> str:
    """A URL template filled with percent-encoded values, so an id cannot add path segments or a query."""
    return PLACEHOLDER.sub(lambda m: quote(str(values.get(m.group(1), m.group(0))), safe=""), template)


def template_keys(template: Any) -> set[str]:
    """Every mapping key in a request template, at any depth (to see which filters a listing API accepts)."""
    keys: set[str] = set()
    if isinstance(template, dict):
        for key, value in template.items():
            keys.add(str(key))
            keys |= template_keys(value)
    elif isinstance(template, list):
        for value in template:
            keys |= template_keys(value)
    return keys


def _child(node: Any, segment: str) -> Any:
    if isinstance(node, list):
        if segment.lstrip("-").isdigit() and -len(node) <= int(segment) < len(node):
            return node[int(segment)]
        return _MISSING
    if not isinstance(node, dict):
        return _MISSING
    if segment in node:
        return node[segment]
    # Some platforms write keys with stray whitespace ("recordsTotal "): match on the stripped key.
    for key, value in node.items():
        if isinstance(key, str) and key.strip() == segment:
            return value
    return _MISSING


def lookup(data: Any, path: str) -> Any:
    """The value at a dot path (data.list, catalogStatistic.use_visit, cataLogGroups.0.group_name); None if absent."""
    node = data
    for segment in path.split("."):
        node = _child(node, segment.strip())
        if node is _MISSING:
            return None
    return node


def is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value in ([], {})


def first(sources: Iterable[Any], paths: Iterable[str]) -> Any:
    """The first non-empty value at any of the paths, trying each source (detail before list item) per path."""
    sources = list(sources)
    for path in paths:
        for source in sources:
            value = lookup(source, path)
            if not is_empty(value):
                return value
    return None


def find_list(data: Any, max_depth: int = 4) -> tuple[str, list[Any]] | None:
    """Where the records are when the profile does not say: the longest list of objects, shallowest first."""
    best: tuple[int, int, str, list[Any]] | None = None
    frontier: list[tuple[str, Any]] = [("", data)]
    for depth in range(max_depth + 1):
        following: list[tuple[str, Any]] = []
        for path, node in frontier:
            if isinstance(node, list) and node and all(isinstance(item, dict) for item in node):
                candidate = (len(node), -depth, path, node)
                if best is None or candidate[:2] > best[:2]:
                    best = candidate
            elif isinstance(node, dict):
                for key, value in node.items():
                    following.append((f"{path}.{str(key).strip()}" if path else str(key).strip(), value))
        frontier = following
    return (best[2], best[3]) if best else None


def split_text(value: str, separators: str) -> list[str]:
    """Non-empty, stripped parts of a delimited text ("a,b，c" with separators ",，")."""
    pattern = "[" + re.escape(separators) + "]"
    return [part.strip() for part in re.split(pattern, value) if part.strip()]


# -- compiling a profile's templates and paths once, when the options are read ------------------------
LISTING_PLACEHOLDERS = frozenset(("page", "page_size", "offset"))
DETAIL_PLACEHOLDERS = frozenset(("id",))
# A brace that opens a name: "{page}", "{nosuchvar}", or the unclosed "{page". JSON text ('{"a": 1}') and
# GraphQL ('{ datasets }') open with a quote or a blank, and are left alone.
_NAMED_BRACE = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)(\}?)")
_PATH_SEGMENT = re.compile(r"^[^.\[\]{}]+$")


class TemplateError(ValueError):
    """A request template or path that cannot work: `where` is its key inside the options."""

    def __init__(self, where: str, expectation: str, value: Any) -> None:
        super().__init__(f"{where}: expected {expectation}")
        self.where, self.expectation, self.value = where, expectation, value


def check_template(template: Any, allowed: frozenset[str], where: str, depth: int = 0) -> None:
    """Every placeholder in a template (at any depth) closed and known; TemplateError names the first bad one."""
    if depth > 50:
        raise TemplateError(where, "a request template nested at most 50 levels deep", "…")
    if isinstance(template, str):
        for match in _NAMED_BRACE.finditer(template):
            name, closed = match.groups()
            known = ", ".join(f"{{{p}}}" for p in sorted(allowed))
            if not closed and any(name.startswith(p) or p.startswith(name) for p in allowed):
                raise TemplateError(where, f"placeholders closed with '}}' ({known})", template)
            if closed and name not in allowed:
                raise TemplateError(where, f"only the placeholders {known}", template)
    elif isinstance(template, dict):
        for key, value in template.items():
            check_template(value, allowed, f"{where}.{key}", depth + 1)
    elif isinstance(template, list):
        for index, value in enumerate(template):
            check_template(value, allowed, f"{where}.{index}", depth + 1)


def compile_path(path: Any, where: str) -> tuple[str, ...]:
    """A dot path's segments (data.list → ("data", "list")); TemplateError for an empty part, brackets or braces."""
    if not isinstance(path, str) or not path.strip():
        raise TemplateError(where, "a dot path such as data.list", path)
    segments = tuple(segment.strip() for segment in path.split("."))
    if not all(_PATH_SEGMENT.match(segment) for segment in segments):
        raise TemplateError(where, "a dot path such as data.list or cataLogGroups.0.group_name (no empty part, "
                                   "no brackets or braces)", path)
    return segments
