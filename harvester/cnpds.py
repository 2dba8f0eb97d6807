"""The CNPDS registry of Chinese open-data portals turned into portal profiles (software jsonapi, unverified).

The registry (github.com/nju-websoft/CNPDS) is portals.json (province → city → {url, name}), curl.json
(request templates recorded from browsers for 138 portals, keyed by pinyin) and name_mapping.json (pinyin →
Chinese names). A portal with a template gets it as jsonapi options: page placeholders put where the
recorded page number, page size and offset were, browser-only headers dropped. None of it was checked
against a response, so every imported profile says verified: false and notes what to look at.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from harvester.profiles import load_yaml, validate

# Page parameters as the recorded templates name them; a recorded "{}" is the crawler's page placeholder.
PAGE_KEYS = {"page", "pageNo", "pageNum", "pageNumber", "pageIndex", "curPage", "currentPage", "current", "pageNum1",
             "page_no", "pageNow"}
SIZE_KEYS = {"pageSize", "size", "rows", "limit", "length", "pageLength", "linesPerPage", "page_size"}
OFFSET_KEYS = {"start", "offset"}
KEPT_HEADERS = {"content-type", "referer", "accept", "x-requested-with", "origin"}
SESSION_HEADERS = {"cookie", "authorization", "token", "x-xsrf-token", "x-csrf-token"}
HTML_SUFFIXES = (".htm", ".html", ".shtml", ".jsp", ".jspx")
IMPORTED_POLITENESS = {"requests_per_second": 1, "concurrency": 1}
MAX_IMPORTED_PAGE_SIZE = 100  # a recorded "everything in one call" (Chongqing: 5,612) is paged politely instead
IMPORT_MARKER = "imported from the CNPDS registry"

# The registry only gives the province → city structure. These ranks are the national administrative ones:
# the 15 sub-provincial cities (副省级城市) and the other provincial capitals.
SUB_PROVINCIAL = {"哈尔滨市", "长春市", "沈阳市", "大连市", "南京市", "杭州市", "宁波市", "厦门市", "济南市", "青岛市",
                  "武汉市", "广州市", "深圳市", "成都市", "西安市"}
PROVINCIAL_CAPITALS = {"石家庄市", "太原市", "呼和浩特市", "合肥市", "福州市", "南昌市", "郑州市", "长沙市", "南宁市",
                       "海口市", "贵阳市", "昆明市", "拉萨市", "兰州市", "西宁市", "银川市", "乌鲁木齐市"}
_GENERIC_HOST_LABELS = {"www", "data", "opendata", "open", "dataopen", "zwfw", "sjkf", "gov", "com", "net", "org",
                        "cn", "edu"}


@dataclass(slots=True)
class WrittenProfiles:
    """What write_profiles did: files written, and ids left alone with the reason."""

    written: list[Path] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)


def profiles_from_registry(registry_dir: Path) -> list[dict[str, Any]]:
    """One portal profile per portal in the registry's portals.json, validated against the portal schema."""
    registry_dir = Path(registry_dir)
    portals = _read_json(registry_dir / "portals.json")
    templates = _read_json(registry_dir / "curl.json") if (registry_dir / "curl.json").exists() else {}
    names = _read_json(registry_dir / "name_mapping.json") if (registry_dir / "name_mapping.json").exists() else {}
    keys_by_name: dict[str, list[tuple[str, str]]] = {}
    for province_key, cities in names.items():
        for city_key, chinese in cities.items():
            keys_by_name.setdefault(chinese, []).append((province_key, city_key))
    province_keys = {cities[key]: key for key, cities in names.items() if key in cities}
    claimed: set[tuple[str, str]] = set()
    entries = [(province, city, entry) for province, cities in portals.items() for city, entry in cities.items()
               if isinstance(entry, dict) and entry.get("url")]

    # Templates are matched by name first (name_mapping), then by host, then by registrable domain.
    matches: dict[int, tuple[str, str]] = {}
    for index, (province, city, _entry) in enumerate(entries):
        for province_key, city_key in keys_by_name.get(city, []):
            if names[province_key].get(province_key, province) != province:
                continue  # the same city name under another province
            if city_key in templates.get(province_key, {}) and (province_key, city_key) not in claimed:
                matches[index] = (province_key, city_key)
                claimed.add(matches[index])
                break
    for by in (_host, _domain):
        for index, (_province, _city, entry) in enumerate(entries):
            if index in matches:
                continue
            candidates = [key for key in _template_keys(templates) if key not in claimed
                          and by(_template_url(templates[key[0]][key[1]])) == by(entry["url"])]
            if len(candidates) == 1:
                matches[index] = candidates[0]
                claimed.add(candidates[0])

    profiles: list[dict[str, Any]] = []
    used_ids: set[str] = set()
    first_with_url: dict[str, str] = {}
    for index, (province, city, entry) in enumerate(entries):
        match = matches.get(index)
        named = next(iter(keys_by_name.get(city, [])), None)
        portal_id = _unique(_portal_id(province, city, entry["url"], match, named, province_keys), used_ids)
        profile = _profile(portal_id, province, city, entry, templates[match[0]][match[1]] if match else None, match)
        same_url = first_with_url.setdefault(_same_portal(entry["url"]), portal_id)
        if same_url != portal_id:
            profile["notes"] += f" The registry gives this portal the same URL as {same_url}: check it."
        validate(profile, "portal", f"CNPDS registry entry {province}/{city}")
        if profile.get("options"):
            validate(profile["options"], "jsonapi", f"CNPDS registry entry {province}/{city} (options)")
        profiles.append(profile)
    return profiles


def write_profiles(profiles: list[dict[str, Any]], directory: Path, *, force: bool = False,
                   also: Sequence[Path] = ()) -> WrittenProfiles:
    """Write one YAML per profile; existing files are kept unless force, and an id or URL already used is skipped.

    `also` are the other directories on the profile search path: a profile there with the same id would be
    shadowed (or would shadow), and a hand-written one with the same URL is the same portal, so both are skipped.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    existing_ids: dict[str, Path] = {}
    hand_written_urls: dict[str, Path] = {}  # a portal profiled by hand is not imported a second time
    elsewhere: dict[str, Path] = {}  # ids profiled in another directory of the search path
    for folder in [directory, *also]:
        for path in sorted(Path(folder).glob("*.yaml")):
            try:
                data = load_yaml(path)
            except ValueError:
                continue
            if isinstance(data, dict):
                (existing_ids if folder == directory else elsewhere).setdefault(str(data.get("id")), path)
                if IMPORT_MARKER not in path.read_text(encoding="utf-8").split("\n", 1)[0]:
                    hand_written_urls.setdefault(_same_portal(str(data.get("url", ""))), path)
    report = WrittenProfiles()
    for profile in profiles:
        target = directory / f"{profile['id']}.yaml"
        other_id = existing_ids.get(profile["id"])
        other_url = hand_written_urls.get(_same_portal(profile["url"]))
        if target.exists() and not force:
            report.skipped[profile["id"]] = f"{target.name} exists (use force to overwrite)"
        elif other_id is not None and other_id != target:
            report.skipped[profile["id"]] = f"id already used by {other_id.name}"
        elif profile["id"] in elsewhere:
            report.skipped[profile["id"]] = f"id already used by {elsewhere[profile['id']]}"
        elif other_url is not None and other_url != target:
            shown = other_url.name if other_url.parent == directory else str(other_url)
            report.skipped[profile["id"]] = f"the same portal URL is profiled in {shown}"
        else:
            header = (f"# {profile['name']}: {IMPORT_MARKER} (github.com/nju-websoft/CNPDS).\n"
                      "# Not checked against a real response: review the notes before relying on it.\n")
            target.write_text(header + _dump_yaml(profile), encoding="utf-8")
            existing_ids.setdefault(profile["id"], target)
            report.written.append(target)
    return report


# -- one profile ----------------------------------------------------------------------------------
def _profile(portal_id: str, province: str, city: str, entry: dict[str, Any], template: dict[str, Any] | None,
             match: tuple[str, str] | None) -> dict[str, Any]:
    notes = ["Imported from the CNPDS registry; nothing in it has been checked against a response here."]
    name = str(entry.get("name") or "").strip()
    if not name:
        name = city
        notes.append("The registry gives no portal name.")
    profile: dict[str, Any] = {
        "id": portal_id,
        "name": name,
        "level": _level(province, city),
        "region": f"{province} (CN)" if city == province else f"{province} {city} (CN)",
        "software": "jsonapi",
        "url": entry["url"],
        "politeness": dict(IMPORTED_POLITENESS),
        "verified": False,
    }
    if template is None:
        notes.append("No request template in the registry: write options (request, response, fields) before "
                     "harvesting.")
    else:
        assert match is not None
        options, template_notes = _options(template)
        notes.append(f"Request template: curl.json {match[0]}/{match[1]}, recorded in a browser in 2023-2024.")
        notes.extend(template_notes)
        if options is not None:
            profile["options"] = options
            if _host(options["request"]["url"]) not in (None, _host(entry["url"])):
                notes.append(f"The template calls {_host(options['request']['url'])}, not the registry URL's host.")
    profile["notes"] = " ".join(notes)
    return profile


def _level(province: str, city: str) -> str:
    if city == province:
        return "province"  # provinces, autonomous regions, municipalities and SARs
    if city in SUB_PROVINCIAL:
        return "sub-provincial"
    if city in PROVINCIAL_CAPITALS:
        return "provincial-capital"
    return "city"


def _options(template: dict[str, Any]) -> tuple[dict[str, Any] | None, list[str]]:
    notes: list[str] = []
    listing, variant = _variant(template.get("resultList") or {}, ("dataset",))
    if listing is None:
        return None, ["The template has no listing URL."]
    if variant:
        others = [k for k, v in (template.get("resultList") or {}).items() if isinstance(v, dict) and k != variant]
        notes.append(f"The registry records several listings ({', '.join([variant, *others])}); "
                     f"this profile uses {variant}.")
    paging: dict[str, int] = {}
    request, placeholders, request_notes = _request(listing, paging, "{page}")
    notes.extend(request_notes)
    if placeholders > 1 or placeholders and "page_key" in paging:
        notes.append(f"The template had {placeholders} '{{}}' placeholder(s) besides any named page parameter; "
                     "all became {page}: check which one is the page.")
    if not any(token in json.dumps(request, ensure_ascii=False) for token in ("{page}", "{offset}")):
        notes.append("No page parameter found in the template: paging stops when a page repeats.")
    graphql = None
    body = request.get("json")
    if isinstance(body, dict) and isinstance(body.get("query"), str) and "variables" in body:
        graphql = {"query": body["query"], "variables": body.get("variables") or {},
                   "operation_name": body.get("operationName")}
        request.pop("json")
        request["method"] = "POST"
    request["page_start"] = paging.get("page_start", 1)
    request["page_size"] = paging.get("page_size", 20)
    options: dict[str, Any] = {"request": request}
    if graphql:
        options["graphql"] = graphql
    if _answers_html(listing):
        notes.append("The listing answers HTML (the CNPDS crawler parses a page): the jsonapi adapter cannot read "
                     "it; this portal needs a scraper or a catalogue-file profile.")
    detail, _ = _variant(template.get("detail") or {}, ("dataset", "detail"))
    if detail is not None:
        detail_request, detail_placeholders, _ = _request(detail, {}, "{id}")
        if detail.get("url") in ("{}", "") or _answers_html(detail):
            notes.append("The detail is an HTML page, not read by the jsonapi adapter.")
        elif detail_placeholders == 0:
            notes.append("The detail template carries a sample id instead of a placeholder: not used.")
        else:
            options["detail"] = detail_request
    return options, notes


def _variant(part: dict[str, Any], preferred: tuple[str, ...]) -> tuple[dict[str, Any] | None, str | None]:
    """The request template itself, or its preferred variant when the registry keeps several (dataset/api...)."""
    if not isinstance(part, dict):
        return None, None
    if part.get("url") or part.get("dataset url"):
        return part, None
    named = [k for k in preferred if isinstance(part.get(k), dict)]
    for key in named + [k for k, v in part.items() if isinstance(v, dict)]:
        if part[key].get("url") or part[key].get("dataset url"):
            return part[key], key
    return None, None


def _request(
    template: dict[str, Any], paging: dict[str, int], placeholder: str
) -> tuple[dict[str, Any], int, list[str]]:
    notes: list[str] = []
    counter = [0]
    headers = {str(k): str(v) for k, v in (template.get("headers") or {}).items()}
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    data = template.get("jsonData", template.get("json_data", template.get("json", template.get("data"))))
    is_json = "jsonData" in template or "json_data" in template or "json" in content_type.lower()
    url = _placeholders(str(template.get("url") or template.get("dataset url")), None, paging, counter, placeholder)
    request: dict[str, Any] = {"method": str(template.get("method") or ("post" if data else "get")).upper(),
                               "url": url}
    params = template.get("params", template.get("queries"))
    if isinstance(params, dict) and params:
        request["params"] = _placeholders(params, None, paging, counter, placeholder)
    if isinstance(data, dict):
        request["json" if is_json else "form"] = _placeholders(data, None, paging, counter, placeholder)
    elif isinstance(data, str) and data:
        converted = _placeholders(data, None, paging, counter, placeholder)
        parsed = _json_object(converted)
        if is_json and parsed is not None:
            request["json"] = parsed
        else:
            request["body"] = converted
    session = sorted({k for k, v in headers.items() if k.lower() in SESSION_HEADERS and v}
                     | ({"cookies"} if template.get("cookies") else set()))
    if session:
        notes.append(f"The recorded browser sent session values ({', '.join(session)}): expect refusals without one.")
    kept = {k: _placeholders(v, None, {}, [0], placeholder) for k, v in headers.items()
            if k.lower() in KEPT_HEADERS and v and "<removed" not in v}
    if kept:
        request["headers"] = kept
    return request, counter[0], notes


def _placeholders(value: Any, key: str | None, paging: dict[str, int], counter: list[int], placeholder: str) -> Any:
    """The template with the recorded paging values (and the crawler's "{}") replaced by odq placeholders."""
    if isinstance(value, dict):
        return {k: _placeholders(v, str(k), paging, counter, placeholder) for k, v in value.items()}
    if isinstance(value, list):
        return [_placeholders(v, key, paging, counter, placeholder) for v in value]
    if placeholder == "{page}" and key is not None and (isinstance(value, int) and not isinstance(value, bool)
                                                        or isinstance(value, str) and value.strip().isdigit()):
        number = int(value)
        if key in PAGE_KEYS:
            paging.setdefault("page_start", number if number in (0, 1) else 1)
            paging["page_key"] = 1
            return "{page}"
        if key in SIZE_KEYS and number > 0:
            paging.setdefault("page_size", min(number, MAX_IMPORTED_PAGE_SIZE))
            return "{page_size}"
        if key in OFFSET_KEYS:
            return "{offset}"
    if isinstance(value, str):
        nested = _json_object(value) if value.lstrip().startswith("{") and "{}" not in value else None
        if nested is not None:  # JSON text inside a form value or a raw body (Hangzhou postData, Shanghai)
            converted = _placeholders(nested, key, paging, counter, placeholder)
            text = json.dumps(converted, ensure_ascii=False, separators=(",", ":"))
            return re.sub(r'"(\{(?:page|page_size|offset|id)\})"', r"\1", text)
        if "{}" in value:
            counter[0] += value.count("{}")
            token = "{offset}" if key in OFFSET_KEYS and placeholder == "{page}" else placeholder
            return value.replace("{}", token)
        if placeholder == "{page}" and key in PAGE_KEYS and not value.strip():
            paging.setdefault("page_start", 1)
            paging["page_key"] = 1
            return "{page}"
    return value


def _answers_html(template: dict[str, Any]) -> bool:
    path = urlsplit(str(template.get("url") or template.get("dataset url") or "")).path.lower()
    accept = next((str(v) for k, v in (template.get("headers") or {}).items() if k.lower() == "accept"), "")
    return (path.endswith(HTML_SUFFIXES) or "/catalog/index" in path or path.rstrip("/").endswith("/oportal/catalog")
            or accept.startswith("text/html"))


# -- ids --------------------------------------------------------------------------------------------
def _portal_id(province: str, city: str, url: str, match: tuple[str, str] | None, named: tuple[str, str] | None,
               province_keys: dict[str, str]) -> str:
    province_key = match[0] if match else (named[0] if named else province_keys.get(province))
    if city == province:
        return _slug(province_key) if province_key else _host_slug(url, short=False)
    city_key = match[1] if match else (named[1] if named else None)
    if province_key and city_key:
        return _slug(f"{province_key}-{city_key}")
    if province_key:
        return _slug(f"{province_key}-{_host_slug(url, short=True)}")
    return _host_slug(url, short=False)


def _host_slug(url: str, *, short: bool) -> str:
    host = (urlsplit(url).hostname or "").lower()
    if not host or re.fullmatch(r"[\d.]+", host):
        return "portal-" + hashlib.sha1(url.encode("utf-8"), usedforsecurity=False).hexdigest()[:8]
    labels = host.split(".")
    if short:
        labels = [label for label in labels if label not in _GENERIC_HOST_LABELS] or labels
    elif labels[0] == "www":
        labels = labels[1:]
    return _slug("-".join(labels))


def _slug(text: str) -> str:
    slug = re.sub(r"[^a-z0-9_.-]+", "-", text.lower()).strip("-._")
    return slug or "portal-" + hashlib.sha1(text.encode("utf-8"), usedforsecurity=False).hexdigest()[:8]


def _unique(candidate: str, used: set[str]) -> str:
    portal_id, n = candidate, 2
    while portal_id in used:
        portal_id, n = f"{candidate}-{n}", n + 1
    used.add(portal_id)
    return portal_id


# -- small helpers ----------------------------------------------------------------------------------
def _read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _template_keys(templates: dict[str, Any]) -> list[tuple[str, str]]:
    return [(p, c) for p, cities in templates.items() for c in cities]


def _template_url(template: dict[str, Any]) -> str:
    listing, _ = _variant(template.get("resultList") or {}, ("dataset",))
    return str((listing or {}).get("url") or (listing or {}).get("dataset url") or "")


def _host(url: str) -> str | None:
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return None
    return host.lower() if host else None


def _domain(url: str) -> str | None:
    """The registrable part of a host (jl.gov.cn for data.jl.gov.cn), enough to pair a portal with its API."""
    host = _host(url)
    if not host or re.fullmatch(r"[\d.]+", host):
        return host
    labels = host.split(".")
    keep = 3 if len(labels) >= 3 and labels[-2] in ("gov", "com", "org", "net", "edu") else 2
    return ".".join(labels[-keep:])


def _same_portal(url: str) -> str:
    parts = urlsplit(url.strip())
    return f"{(parts.hostname or '').lower()}{parts.path.rstrip('/')}"


def _json_object(text: str) -> dict[str, Any] | None:
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


class _Dumper(yaml.SafeDumper):
    pass


def _represent_text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None  # GraphQL queries stay readable
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_text)


def _dump_yaml(profile: dict[str, Any]) -> str:
    return yaml.dump(profile, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=110)
