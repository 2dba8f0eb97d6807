"""Property: whatever document a profile file holds, loading it gives a profile or a ProfileError naming the file
on every line — never another exception (KeyError, TypeError, RecursionError, an adapter's own error...)."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harvester.profiles import ProfileError, find_portal, load_portal, load_profile

# Keys a profile really uses, mixed with random ones, so that generated documents get past the top-level checks
# and reach the options, templates, paths and schedule code.
PORTAL_KEYS = ["id", "name", "level", "region", "software", "url", "api_url", "schedule", "harvest", "politeness",
               "allow_hosts", "verified", "data_request", "options", "notes"]
OPTION_KEYS = ["page_size", "min_page_size", "max_pages", "request", "response", "list_path", "total_path",
               "fields", "detail", "graphql", "landing_url", "code_tables", "source", "columns", "paging", "only",
               "languages", "format", "url", "params", "json", "body", "headers", "method", "path", "query",
               "variables", "title", "count_tolerance", "deadline_minutes", "concurrency"]
FAMILIES = ["ckan", "socrata", "opendatasoft", "dcat", "datajson", "udata", "file", "jsonapi", "nosuch"]

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False), st.text(max_size=20),
    st.sampled_from(["{page", "{nosuchvar}", "{page}", "data..items[", "data.list", "0 3 * * 1", "every tuesday",
                     "https://x.example/", "city", "lots", "", " ", "{id}", "0", "-1"]),
)
keys = st.one_of(st.sampled_from(PORTAL_KEYS + OPTION_KEYS), st.text(max_size=8))
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(keys, inner, max_size=5)), max_leaves=25)
BASE = {"id": "prop-portal", "name": "属性", "level": "city", "region": "r", "software": "ckan",
        "url": "https://data.example.org/"}
portals = st.builds(
    lambda changes, software, options, drop: {
        **{k: v for k, v in BASE.items() if k not in drop}, "software": software, **changes,
        **({"options": options} if options is not None else {})},
    st.dictionaries(st.sampled_from(PORTAL_KEYS), values, max_size=3),
    st.sampled_from(FAMILIES),
    st.one_of(st.none(), st.dictionaries(st.sampled_from(OPTION_KEYS), values, max_size=5), values),
    st.sets(st.sampled_from(list(BASE)), max_size=2),
)
documents = st.one_of(portals, values)


@pytest.fixture(scope="module")
def scratch():
    with tempfile.TemporaryDirectory() as directory:
        yield Path(directory)


def check_load(path: Path, load: Any) -> None:
    try:
        loaded = load(path)
    except ProfileError as exc:
        lines = str(exc).splitlines()
        assert lines, "an empty ProfileError"
        for line in lines:
            assert line.startswith(f"{path}: "), str(exc)
    else:
        assert isinstance(loaded, dict)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document=documents, as_json=st.booleans())
def test_any_document_loads_or_is_a_profile_error_naming_the_file(scratch, document, as_json):
    path = scratch / "portal.yaml"
    text = json.dumps(document, ensure_ascii=False) if as_json else yaml.safe_dump(document, allow_unicode=True)
    path.write_text(text, encoding="utf-8")
    check_load(path, load_portal)
    check_load(path, lambda p: find_portal(str(p)))
    check_load(path, lambda p: load_profile(p, "indicator"))


@settings(max_examples=100, deadline=None)
@given(raw=st.binary(max_size=200))
def test_any_bytes_load_or_are_a_profile_error_naming_the_file(scratch, raw):
    path = scratch / "bytes.yaml"
    path.write_bytes(raw)
    check_load(path, load_portal)
