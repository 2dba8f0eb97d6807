"""OpenDataSoft: Explore v2.1 catalogue pages, a `modified` cursor past the 10,000 offset limit, Search v1 fallback."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, ClassVar

from harvester.adapters.base import Adapter, CatalogueTally, HarvestAborted, SkippedRecord
from harvester.adapters.options import option
from harvester.adapters.paging import Paginator
from harvester.adapters.values import as_int, read_date
from harvester.dates import BadDate, parse_date
from harvester.http import FetchError, Http
from harvester.records import Category, DatasetRecord, Distribution, Field, Usage
from harvester.vocab import normalise_format, normalise_frequency

# Explore v2.1 refuses a query whose offset + limit reaches this; deeper pages restart from a modified cursor.
MAX_WINDOW = 10_000
MAX_LIMIT = 100  # the catalogue endpoint's largest page
ORDER_BY = "modified asc"


@dataclass(frozen=True)
class OpenDataSoftOptions:
    page_size: int = option(MAX_LIMIT, minimum=1, maximum=MAX_LIMIT)
    max_window: int = option(MAX_WINDOW, minimum=2)  # offset + limit the Explore API still answers
    order_by: str = option(ORDER_BY)


class OpenDataSoftAdapter(Adapter):
    family: ClassVar[str] = "opendatasoft"
    Options: ClassVar[type] = OpenDataSoftOptions

    def __init__(self, profile: dict[str, Any], http: Http) -> None:
        super().__init__(profile, http)
        self.options: OpenDataSoftOptions
        self.site_url = profile["url"].rstrip("/")
        root = (profile.get("api_url") or profile["url"]).rstrip("/")
        root = root.removesuffix("/api/explore/v2.1")
        self.explore_url = f"{root}/api/explore/v2.1"
        self.search_v1_url = f"{root}/api/datasets/1.0/search/"
        self.records_v1_url = f"{root}/api/records/1.0/search/"
        self.page_size = self.options.page_size
        self.max_window = self.options.max_window
        self._newest: tuple[str, str] | None = None  # (normalised, as the portal wrote it): the cursor
        self.keyword_search = True  # where= and refine= work on every OpenDataSoft catalogue
        self.category_filter = True
        self.details.update(pages=0, cursor_restarts=0, repeats=0)

    # -- the stream ------------------------------------------------------------------------------
    def records(self, since: dict[str, Any] | None = None) -> Iterator[DatasetRecord | SkippedRecord]:
        modified_since = (since or {}).get("modified_since")
        modified_since = modified_since if isinstance(modified_since, str) and modified_since else None
        pager = self.paginator()
        pager.begin(("explore", modified_since, 0))
        try:
            first = self._explore_page(cursor=modified_since, offset=0)
        except FetchError as exc:
            if exc.status != 404:
                raise HarvestAborted(f"the Explore v2.1 catalogue did not answer: {exc.reason}") from exc
            self.listing = "search-v1"
            if modified_since:  # v1 has no dependable date filter: a full listing is the honest answer
                self.details["incremental_refused"] = "Explore v2.1 is unavailable"
            yield from self._search_v1_pages(self.paginator())
            return
        self.listing = "explore-v2.1"
        if modified_since:
            self.tally = CatalogueTally(since)
            self.incremental = True
            self._newest = (_normalised(modified_since) or modified_since, modified_since)
        else:
            self.expected_total = as_int(first.get("total_count"))
        yield from self._explore_pages(pager, first, modified_since)

    def _explore_page(self, *, cursor: str | None, offset: int) -> dict[str, Any]:
        params: dict[str, Any] = {"limit": self.page_size, "offset": offset, "order_by": self.options.order_by}
        if cursor:
            params["where"] = f'modified>="{cursor}"'
        page = self.http.get_json(f"{self.explore_url}/catalog/datasets", params=params)
        if not isinstance(page, dict) or not isinstance(page.get("results"), list):
            raise HarvestAborted("the Explore v2.1 catalogue answered without a results list")
        self.details["pages"] += 1
        return page

    def _explore_pages(self, pager: Paginator, page: dict[str, Any],
                       since: str | None) -> Iterator[DatasetRecord | SkippedRecord]:
        """Offset pages ordered by modified; before offset + limit reaches the window, restart at the last
        modified time seen (`where=modified>=...`, offset 0), skipping the ids already listed at that time.
        """
        cursor, offset = since, 0
        boundary: str | None = None
        while True:
            results = page["results"]
            for item in results:
                native = _dataset_id(item)
                modified = _raw_modified(item)
                if modified != boundary:
                    boundary = modified
                if not pager.is_new(native, item):
                    self.details["repeats"] += 1
                    continue
                if native is None:
                    yield SkippedRecord(None, "a catalogue entry without dataset_id")
                    continue
                yield self.map_native(item)
            # After a restart the datasets at the cursor's time come again: repeating them is no loop.
            at_cursor = cursor is not None and all(_raw_modified(item) == cursor for item in results)
            if not (at_cursor or pager.progressed()) or len(results) < self.page_size:
                return
            offset += len(results)
            if offset + self.page_size >= self.max_window:
                if not boundary or boundary == cursor:
                    raise HarvestAborted(
                        f"more than {self.max_window:,} datasets share modified={boundary!r}: no cursor can pass them"
                    )
                cursor, offset = boundary, 0
                self.details["cursor_restarts"] += 1
            if not pager.begin(("explore", cursor, offset)):
                return
            try:
                page = self._explore_page(cursor=cursor, offset=offset)
            except FetchError as exc:
                raise HarvestAborted(f"the Explore v2.1 catalogue stopped answering: {exc.reason}") from exc

    def _search_v1_pages(self, pager: Paginator) -> Iterator[DatasetRecord | SkippedRecord]:
        start = 0
        while True:
            if not pager.begin(("v1", start)):
                return
            try:
                page = self.http.get_json(self.search_v1_url, params={"rows": self.page_size, "start": start})
            except FetchError as exc:
                raise HarvestAborted(f"neither Explore v2.1 nor Search v1 answered: {exc.reason}") from exc
            if not isinstance(page, dict) or not isinstance(page.get("datasets"), list):
                raise HarvestAborted("Search v1 answered without a datasets list")
            self.details["pages"] += 1
            if self.expected_total is None:
                self.expected_total = as_int(page.get("nhits"))
            datasets = page["datasets"]
            for item in datasets:
                native = _dataset_id(item)
                if not pager.is_new(native, item):
                    self.details["repeats"] += 1
                    continue
                if native is None:
                    yield SkippedRecord(None, "a catalogue entry without datasetid")
                    continue
                yield self.map_native(item, api="v1")
            if not pager.progressed() or len(datasets) < self.page_size:
                return
            start += len(datasets)

    def map_native(self, item: Any, api: str = "v2.1") -> DatasetRecord | SkippedRecord:
        """One catalogue entry (Explore v2.1 or Search v1 shape) → a record, or a reported skip."""
        record = self.map_or_skip(_dataset_id(item), lambda: map_dataset(
            item, self.portal_id, self.site_url, self.explore_url if api == "v2.1" else None, self.records_v1_url))
        raw_modified = _raw_modified(item)
        if isinstance(record, DatasetRecord) and record.modified and raw_modified and (
                self._newest is None or record.modified > self._newest[0]):
            self._newest = (record.modified, raw_modified)
        return record

    def bookmark(self) -> dict[str, Any]:
        if self._newest is None:
            return {}
        # The portal's own spelling of the time goes back into the where clause unchanged.
        return self.tally.bookmark(cursor=self._newest[1], with_labels=True)


# -- mapping ---------------------------------------------------------------------------------------
def _dataset_id(item: Any) -> str | None:
    if not isinstance(item, dict):
        return None
    native = item.get("dataset_id") or item.get("datasetid")
    return str(native) if native else None


def _templates(item: dict[str, Any]) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """(default metas, other templates). v2.1 nests templates under metas; v1 has flat metas + interop_metas."""
    metas = item.get("metas") if isinstance(item.get("metas"), dict) else {}
    if isinstance(metas.get("default"), dict):
        others = {k: v for k, v in metas.items() if k != "default" and isinstance(v, dict)}
        return metas["default"], others
    interop = item.get("interop_metas") if isinstance(item.get("interop_metas"), dict) else {}
    return metas, {k: v for k, v in interop.items() if isinstance(v, dict)}


def _raw_modified(item: Any) -> str | None:
    if not isinstance(item, dict):
        return None
    default, _others = _templates(item)
    value = default.get("modified")
    return str(value) if value not in (None, "") else None


def _normalised(value: Any) -> str | None:
    try:
        return parse_date(value)
    except BadDate:
        return None




def _text(value: Any) -> str | None:
    if isinstance(value, list):
        value = ", ".join(str(v) for v in value if v not in (None, ""))
    text = str(value).strip() if value is not None else ""
    return text or None


def _labels(value: Any) -> list[str]:
    values = value if isinstance(value, list) else [value]
    return list(dict.fromkeys(str(v).strip() for v in values if v not in (None, "") and str(v).strip()))




def _first(templates: list[dict[str, Any]], keys: tuple[str, ...]) -> Any:
    for template in templates:
        for key in keys:
            value = template.get(key)
            if value not in (None, "", [], {}):
                return value
    return None


def _frequency(default: dict[str, Any], others: dict[str, dict[str, Any]]) -> str | None:
    dcat = others.get("dcat") or {}
    value = dcat.get("accrualperiodicity")
    if value in (None, ""):  # custom templates name it freely: "update_frequency", "frequence"...
        for template in (default, *others.values()):
            for key, candidate in template.items():
                if "frequen" in key.lower() and candidate not in (None, ""):
                    value = candidate
                    break
            if value not in (None, ""):
                break
    return _text(value)


def _distributions(
    item: dict[str, Any], native: str, explore_url: str | None, records_v1_url: str, site_url: str,
    fields: list[Field], modified: str | None,
) -> list[Distribution]:
    names = [f.name for f in fields]
    distributions: list[Distribution] = []
    if item.get("has_records", True) is not False:
        features = item.get("features") if isinstance(item.get("features"), list) else []
        if explore_url:  # Explore v2.1: the records API and the export endpoints
            base = f"{explore_url}/catalog/datasets/{native}"
            endpoint = f"{base}/records"
            exports = [("CSV", "text/csv", f"{base}/exports/csv"), ("JSON", "application/json", f"{base}/exports/json")]
            if "geo" in features:
                exports.append(("GeoJSON", "application/geo+json", f"{base}/exports/geojson"))
        else:  # Search v1 portals: the v1 records API and the classic download URLs
            endpoint = f"{records_v1_url}?dataset={native}"
            download = f"{site_url}/explore/dataset/{native}/download/?format="
            exports = [("CSV", "text/csv", f"{download}csv"), ("JSON", "application/json", f"{download}json")]
            if "geo" in features:
                exports.append(("GeoJSON", "application/geo+json", f"{download}geojson"))
        distributions.append(Distribution(
            access_url=endpoint, title="Records API", format_raw="JSON",
            format=normalise_format("JSON", "application/json", endpoint), media_type="application/json",
            is_api=True, modified=modified, field_names=names,
        ))
        for label, media_type, url in exports:
            distributions.append(Distribution(
                access_url=url, download_url=url, title=f"{label} export", format_raw=label,
                format=normalise_format(label, media_type, url), media_type=media_type, modified=modified,
                field_names=names,
            ))
    for attachment in item.get("attachments") or []:
        if not isinstance(attachment, dict):
            continue
        url = attachment.get("url") or attachment.get("href")
        if not url:
            continue
        media_type = _text(attachment.get("mimetype"))
        distributions.append(Distribution(
            access_url=url, download_url=url, title=_text(attachment.get("title")),
            format_raw=media_type, format=normalise_format(None, media_type, url), media_type=media_type,
        ))
    return distributions


def map_dataset(
    item: dict[str, Any], portal_id: str, site_url: str, explore_url: str | None, records_v1_url: str,
) -> DatasetRecord:
    """One catalogue entry (Explore v2.1 or Search v1 shape) → one record."""
    if not isinstance(item, dict):
        raise TypeError(f"a catalogue entry must be an object, got {type(item).__name__}")
    native = _dataset_id(item)
    if native is None:
        raise KeyError("dataset_id")
    default, others = _templates(item)
    dcat = others.get("dcat") or {}
    explore = others.get("explore") or {}
    problems: list[str] = []
    publisher = _text(default.get("publisher"))
    categories = [Category("theme", label) for label in _labels(default.get("theme"))]
    if publisher:
        categories.append(Category("department", publisher))
    frequency_raw = _frequency(default, others)
    fields = [
        Field(name=str(f["name"]), title=_text(f.get("label")), type=_text(f.get("type")),
              description=_text(f.get("description")))
        for f in item.get("fields") or [] if isinstance(f, dict) and f.get("name")
    ]
    modified = read_date(default.get("modified"), problems, "modified")
    issued = read_date(_first([dcat, default], ("issued", "created")), problems, "issued")
    temporal = _text(dcat.get("temporal"))
    if temporal is None and (dcat.get("temporal_coverage_start") or dcat.get("temporal_coverage_end")):
        temporal = f"{dcat.get('temporal_coverage_start') or ''}/{dcat.get('temporal_coverage_end') or ''}"
    contact = " ".join(str(v) for v in (dcat.get("contact_name"), dcat.get("contact_email")) if v)
    return DatasetRecord(
        portal_id=portal_id,
        native_id=native,
        title=str(default.get("title") or native),
        landing_url=f"{site_url}/explore/dataset/{native}/",
        description=_text(default.get("description")),
        publisher=publisher,
        department=publisher,
        contact=contact or None,
        licence=_text(default.get("license")),
        categories=categories,
        keywords=_labels(default.get("keyword")),
        frequency_raw=frequency_raw,
        frequency=normalise_frequency(frequency_raw),
        issued=issued,
        modified=modified,
        spatial=_text(_first([dcat, default], ("spatial", "territory", "geographic_reference"))),
        temporal=temporal,
        fields=fields,
        distributions=_distributions(item, native, explore_url, records_v1_url, site_url, fields, modified),
        usage=Usage(
            views=None,  # OpenDataSoft publishes no page views
            downloads=as_int(explore.get("download_count")),
            api_calls=as_int(explore.get("api_call_count")),
        ),
        record_count=as_int(default.get("records_count")),
        problems=problems,
        raw=item,
    )
