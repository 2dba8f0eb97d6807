"""data.json catalogues: DCAT-US 1.1, the Argentine profile, and the early Project Open Data arrays (Socrata 2013)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import urlsplit

import orjson

from harvester.adapters.base import Adapter, CatalogueTally, HarvestAborted, SkippedRecord
from harvester.adapters.options import option
from harvester.adapters.values import as_int, read_date, too_deep, too_deep_message
from harvester.http import FetchError, Http
from harvester.records import Category, DatasetRecord, Distribution, Field, newest_date
from harvester.vocab import format_info, normalise_format, normalise_frequency

_SIZE = re.compile(r"^\s*(\d+(?:[.,]\d+)?)\s*([kmgt]?)(?:i?b|bytes)?\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class DataJsonOptions:
    catalogue_url: str | None = option(None)  # the data.json, when it is not the profile's api_url or /data.json


class DataJsonAdapter(Adapter):
    family: ClassVar[str] = "datajson"
    Options: ClassVar[type] = DataJsonOptions

    def __init__(self, profile: dict[str, Any], http: Http) -> None:
        super().__init__(profile, http)
        self.options: DataJsonOptions
        self.catalogue_url: str = self.options.catalogue_url or profile.get("api_url") or _data_json_url(profile["url"])
        # One document: it says nothing about the portal's own search or filters (unknown, not "no").
        self.listing = "data.json"
        self._themes: dict[str, str] = {}
        self._super_themes: dict[str, str] = {}

    # -- the stream ------------------------------------------------------------------------------
    def records(self, since: dict[str, Any] | None = None) -> Iterator[DatasetRecord | SkippedRecord]:
        # A data.json is one document and cannot be asked for "what changed since": every run lists the
        # whole catalogue, and the harvest run stores unchanged datasets once, by content hash.
        if since and since.get("modified_since"):
            self.tally = CatalogueTally(since)
            self.details["incremental_refused"] = "a data.json cannot be filtered by modification date"
        catalogue, entries = self._document()
        self._themes = _taxonomy(catalogue.get("themeTaxonomy"))
        self._super_themes = _taxonomy(catalogue.get("superThemeTaxonomy"))
        if self._themes:
            self.details["theme_taxonomy"] = len(self._themes)
        self.expected_total = len(entries)
        seen: set[str] = set()
        duplicates = 0
        # The document is parsed once; records are made and handed on one at a time.
        for position, entry in enumerate(entries):
            native_id = _native_id(entry)
            if native_id is not None and native_id in seen:
                duplicates += 1
                self.details["duplicate_identifiers"] = duplicates
                yield SkippedRecord(native_id, f"identifier repeated by entry {position}; the first entry was kept")
                continue
            if native_id is not None:
                seen.add(native_id)
            yield self.map_native(entry, position)

    def _document(self) -> tuple[dict[str, Any], list[Any]]:
        """(catalogue fields, dataset entries) of the data.json, whichever of its shapes it has."""
        url = self.catalogue_url
        try:
            response = self.http.get(url, headers={"Accept": "application/json"})
        except FetchError as exc:
            raise HarvestAborted(f"the data.json at {url} could not be fetched: {exc.reason}") from exc
        if not response.ok:
            raise HarvestAborted(f"the data.json at {url} answered HTTP {response.status}")
        try:
            document = orjson.loads(response.body.lstrip(b"\xef\xbb\xbf"))
        except orjson.JSONDecodeError as exc:
            if too_deep(exc):
                raise HarvestAborted(too_deep_message(f"the data.json at {url}")) from exc
            raise HarvestAborted(f"the data.json at {url} is not JSON ({exc})") from exc
        if isinstance(document, list):  # Project Open Data 1.0 as Socrata served it in 2013: a bare array
            datasets = [e for e in document if not _describes_the_file(e)]
            self.details.update(shape="pod-1.0-array", self_description_entries=len(document) - len(datasets))
            return {}, datasets
        if not isinstance(document, dict) or not isinstance(document.get("dataset"), list):
            raise HarvestAborted(f"the data.json at {url} has no \"dataset\" array (not a DCAT-US catalogue)")
        shape = "argentina" if "themeTaxonomy" in document or "superThemeTaxonomy" in document else "dcat-us"
        self.details.update(
            shape=shape, conforms_to=document.get("conformsTo"), catalogue_title=document.get("title"),
        )
        return document, document["dataset"]

    def map_native(self, entry: Any, position: int = 0) -> DatasetRecord | SkippedRecord:
        """One dataset entry of the document → a record, or a reported skip."""
        native_id = _native_id(entry)
        if not isinstance(entry, dict):
            return SkippedRecord(None, f"entry {position} is a {type(entry).__name__}, not a dataset object")
        if native_id is None:
            title = _text(entry.get("title"))
            named = f" ({title[:80]!r})" if title else ""
            return SkippedRecord(None, f"entry {position}{named} has no identifier")
        return self.map_or_skip(native_id, lambda: map_dataset(entry, native_id, self.portal_id, self._themes,
                                                                 self._super_themes))


def _data_json_url(url: str) -> str:
    """A portal URL without a path means its data.json at the root, where Project Open Data puts it."""
    return url if urlsplit(url).path.strip("/") else f"{url.rstrip('/')}/data.json"


def _describes_the_file(entry: Any) -> bool:
    """Socrata's 2013 arrays open with an entry about the data.json itself ("Project Open Data, /data.json file")."""
    if not isinstance(entry, dict):
        return False
    identifier = str(entry.get("identifier") or "")
    title = str(entry.get("title") or "").strip().lower()
    return identifier.endswith("/data.json") and "data.json" in title


def _native_id(entry: Any) -> str | None:
    if not isinstance(entry, dict):
        return None
    for key in ("identifier", "@id"):
        value = entry.get(key)
        if isinstance(value, str | int) and str(value).strip():
            return str(value).strip()
    return None


def _taxonomy(value: Any) -> dict[str, str]:
    """id → label of an embedded theme taxonomy; a taxonomy given only by URL is not fetched."""
    if not isinstance(value, list):
        return {}
    return {
        str(item["id"]): str(item.get("label") or item["id"])
        for item in value
        if isinstance(item, dict) and item.get("id") not in (None, "")
    }


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, dict | list):
        return None
    text = str(value).strip()
    return text or None


def _strings(value: Any) -> list[str]:
    """A list of strings from a list, or from one comma-separated string (POD 1.0 keywords)."""
    if isinstance(value, list):
        items = [str(v).strip() for v in value if v is not None and not isinstance(v, dict | list)]
    elif isinstance(value, str):
        items = [part.strip() for part in value.split(",")]
    else:
        items = []
    return list(dict.fromkeys(item for item in items if item))


def _name(value: Any) -> str | None:
    """An organisation or contact written as an object with a name, or as a bare string."""
    if isinstance(value, dict):
        return _text(value.get("name") or value.get("fn"))
    return _text(value)


def _contact(entry: dict[str, Any]) -> str | None:
    point = entry.get("contactPoint")
    if isinstance(point, dict):
        name = _text(point.get("fn") or point.get("name"))
        email = _text(point.get("hasEmail") or point.get("email"))
    else:
        name, email = _text(point), _text(entry.get("mbox"))
    if email and email.lower().startswith("mailto:"):
        email = email[7:].strip() or None
    return " ".join(x for x in (name, email) if x) or None






def _spatial(value: Any) -> str | None:
    if isinstance(value, dict | list):
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode() if value else None
    return _text(value)


def _fields(items: Any) -> list[Field]:
    """The Argentine profile's distribution "field" list: title is the column name as in the file header."""
    fields = []
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        name = _text(item.get("title")) or _text(item.get("name")) or _text(item.get("id"))
        if name:
            fields.append(Field(name=name, type=_text(item.get("type")), description=_text(item.get("description"))))
    return fields


def _distribution(item: dict[str, Any], problems: list[str]) -> Distribution:
    access_url = _text(item.get("accessURL"))
    download_url = _text(item.get("downloadURL"))
    format_raw = _text(item.get("format"))
    media_type = _text(item.get("mediaType"))
    formats = item.get("formats")  # POD 1.0 (Socrata 2013): [{"label": "csv", "value": "text/csv"}]
    if isinstance(formats, list) and formats and isinstance(formats[0], dict):
        format_raw = format_raw or _text(formats[0].get("label"))
        media_type = media_type or _text(formats[0].get("value"))
    code = normalise_format(format_raw, media_type, download_url or access_url)
    info = format_info(code)
    byte_size = item.get("byteSize")
    if byte_size not in (None, "") and as_int(byte_size) is None:
        problems.append(f"byteSize: {byte_size!r} is not a number")
    return Distribution(
        access_url=access_url,
        download_url=download_url,
        title=_text(item.get("title")),
        format_raw=format_raw,
        format=code,
        media_type=media_type,
        byte_size=as_int(byte_size),
        is_api=bool(info and info.api),
        modified=read_date(item.get("modified"), problems, "distribution modified"),
        field_names=[f.name for f in _fields(item.get("field"))],
    )


def _size_entry_format(item: dict[str, Any]) -> str | None:
    """Socrata's 2013 export lists a file's size as a distribution of its own ({"accessURL": "8KB", "formats":
    [{"label": "kmlSize"}]}); the format whose size it is, or None for a real distribution."""
    formats = item.get("formats")
    label = formats[0].get("label") if isinstance(formats, list) and formats and isinstance(formats[0], dict) else None
    url = str(item.get("accessURL") or "")
    if isinstance(label, str) and label.endswith("Size") and len(label) > 4 and "://" not in url:
        return label[:-4].lower()
    return None


def _size_bytes(text: Any) -> int | None:
    """"8KB", "1.5 MB", "12,3K" → bytes; "Variable", "N/A" and bounds like "< 1MB" → None."""
    match = _SIZE.match(str(text or ""))
    if not match:
        return None
    number = float(match.group(1).replace(",", "."))
    return int(number * 1024 ** " KMGT".index((match.group(2) or " ")[0].upper()))


def _distribution_items(entry: dict[str, Any], problems: list[str]) -> list[dict[str, Any]]:
    listed = entry.get("distribution")
    if isinstance(listed, dict):
        return [listed]
    if listed is not None and not isinstance(listed, list):
        problems.append(f"distribution: expected a list, got {type(listed).__name__}")
        return []
    return [item for item in listed or [] if isinstance(item, dict)]


def _distributions(entry: dict[str, Any], items: list[dict[str, Any]], problems: list[str]) -> list[Distribution]:
    sizes = {label: item.get("accessURL") for item in items if (label := _size_entry_format(item))}
    distributions = [_distribution(item, problems) for item in items if not _size_entry_format(item)]
    for distribution in distributions:
        declared = sizes.get((distribution.format_raw or "").lower())
        if distribution.byte_size is None and declared is not None:
            distribution.byte_size = _size_bytes(declared)
    if not distributions and _text(entry.get("accessURL")):  # POD 1.0: one file described on the dataset
        distributions.append(_distribution({"accessURL": entry["accessURL"], "mediaType": entry.get("format")},
                                           problems))
    web_service = _text(entry.get("webService"))
    if web_service and web_service not in {d.access_url for d in distributions}:
        # POD 1.0 names the dataset's API endpoint (Socrata's SODA resource) separately.
        distributions.append(Distribution(access_url=web_service, title="webService", format="API", is_api=True))
    return distributions


def map_dataset(
    entry: dict[str, Any], native_id: str, portal_id: str,
    themes: dict[str, str] | None = None, super_themes: dict[str, str] | None = None,
) -> DatasetRecord:
    """One data.json dataset object → one record."""
    themes = themes or {}
    super_themes = super_themes or {}
    problems: list[str] = []
    title = _text(entry.get("title"))
    if title is None:
        problems.append("title: missing")
    publisher = _name(entry.get("publisher"))
    categories = [Category("theme", themes.get(t, t), t if t in themes else None) for t in _strings(entry.get("theme"))]
    # The Argentine super themes are a second, coarser taxonomy (the EU data themes): kept apart from the portal's.
    categories += [
        Category("other", super_themes.get(t, t), t) for t in _strings(entry.get("superTheme"))
    ]
    if publisher:
        categories.append(Category("department", publisher))
    frequency_raw = _text(entry.get("accrualPeriodicity") or entry.get("frequency"))
    items = _distribution_items(entry, problems)
    distributions = _distributions(entry, items, problems)
    fields: dict[str, Field] = {}
    for item in items:
        for field in _fields(item.get("field")):
            fields.setdefault(field.name, field)
    return DatasetRecord(
        portal_id=portal_id,
        native_id=native_id,
        title=title or "",
        landing_url=_text(entry.get("landingPage")),
        description=_text(entry.get("description")),
        publisher=publisher,
        department=publisher,
        contact=_contact(entry),
        licence=_text(entry.get("license")),
        access_rights=_text(entry.get("accessLevel")) or _text(entry.get("rights")),
        categories=categories,
        keywords=_strings(entry.get("keyword") if entry.get("keyword") not in (None, "") else entry.get("keywords")),
        frequency_raw=frequency_raw,
        frequency=normalise_frequency(frequency_raw),
        issued=read_date(entry.get("issued") or entry.get("releaseDate") or entry.get("created"), problems, "issued"),
        modified=read_date(entry.get("modified"), problems, "modified"),
        data_modified=newest_date(d.modified for d in distributions),  # the newest file's date, where one is given
        spatial=_spatial(entry.get("spatial")),
        temporal=_text(entry.get("temporal")),
        fields=list(fields.values()),
        distributions=distributions,
        problems=problems,
        raw=entry,
    )
