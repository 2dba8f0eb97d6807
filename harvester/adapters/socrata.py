"""Socrata: the Discovery API catalogue (offset pages, scroll_id beyond 10,000), optionally /api/views per dataset."""

from __future__ import annotations

from collections.abc import Generator, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import quote, urlsplit

from harvester.adapters.base import Adapter, CatalogueTally, HarvestAborted, SkippedRecord
from harvester.adapters.options import option
from harvester.adapters.paging import Paginator
from harvester.adapters.values import as_int, read_date
from harvester.http import FetchError, Http
from harvester.records import Category, DatasetRecord, Distribution, Field, Usage
from harvester.vocab import normalise_format, normalise_frequency

# Discovery answers offset paging only while offset+limit stays within this; deeper pages need scroll_id.
MAX_OFFSET = 10_000
# scroll_id pages by asset id, returning ids after the one given. Socrata 4x4 ids never use 0 or 1, so this
# sorts before every real id and the first scroll page starts at the top of the catalogue.
SCROLL_START = "0000-0000"
# Asset types that have a SODA endpoint and a CSV export; maps, charts, stories and links do not.
TABULAR_TYPES = ("dataset",)
# domain_metadata keys (custom fields such as Seattle's "Data-Owner_Owner") naming the publishing department.
DEPARTMENT_KEY_PARTS = ("department", "agency", "owner")
CONTACT_KEY_PARTS = ("mail", "contact", "phone")  # "Data-Owner_Email" names a mailbox, not a department


@dataclass(frozen=True)
class SocrataOptions:
    domain: str | None = option(None)  # the catalogue's domain, when it is not the profile url's host
    page_size: int = option(100, minimum=1, maximum=10_000)
    max_offset: int = option(MAX_OFFSET, minimum=1)  # offset + limit the Discovery API still answers
    paging: str = option("auto", choices=("auto", "offset", "scroll"))
    order: str = option("createdAt")  # a stable order for offset pages; new assets come last
    only: str | tuple[str, ...] | None = option(None)  # asset types, e.g. [dataset]
    views_detail: bool = option(False)  # also read /api/views/<id>.json per dataset (columns, licence)
    views_url: str | None = option(None)


class SocrataAdapter(Adapter):
    family: ClassVar[str] = "socrata"
    Options: ClassVar[type] = SocrataOptions
    # Discovery's resultSetSize counts search hits, repeats included (Seattle lists one asset four times and
    # counts it four times): the count bounds the distinct datasets from above.
    count_includes_repeats: ClassVar[bool] = True

    def __init__(self, profile: dict[str, Any], http: Http) -> None:
        super().__init__(profile, http)
        self.options: SocrataOptions
        options = self.options
        self.site_url = profile["url"].rstrip("/")
        root = (profile.get("api_url") or profile["url"]).rstrip("/")
        self.catalog_url = root if root.endswith("/api/catalog/v1") else f"{root}/api/catalog/v1"
        self.domain = options.domain or urlsplit(self.site_url).hostname or ""
        self.page_size = options.page_size
        self.max_offset = options.max_offset
        self.only = ",".join(options.only) if isinstance(options.only, tuple) else options.only
        self.views_url = (options.views_url or self.site_url).rstrip("/")
        self.keyword_search = True  # the Discovery API takes q= and categories= on every domain
        self.category_filter = True
        self._seen: set[str] = set()  # ids yielded: Discovery pages can repeat an asset
        self.details.update(pages=0, repeats=0)
        if options.views_detail:
            self.details["views_detail"] = {"fetched": 0, "failed": 0}

    # -- the stream ------------------------------------------------------------------------------
    def records(self, since: dict[str, Any] | None = None) -> Iterator[DatasetRecord | SkippedRecord]:
        modified_since = (since or {}).get("modified_since")
        if isinstance(modified_since, str) and modified_since:
            self.tally = CatalogueTally(since)
            self.incremental = True
            if (yield from self._changed_since(modified_since)):
                return
            # Too many changes to reach by offset: only a full listing is an honest answer.
            self.incremental = False
            self.details["incremental_refused"] = f"more than {self.max_offset:,} assets changed since " \
                                                  f"{modified_since}"
        pager = self._pager()
        if self.options.paging == "scroll":
            self.listing = "discovery-scroll"
            yield from self._scroll_pages(pager)
            return
        if not pager.begin(("offset", 0)):
            return
        first = self._page(offset=0, order=self.options.order)
        self.expected_total = as_int(first.get("resultSetSize"))
        if self.options.paging == "auto" and self.expected_total is not None and self.expected_total > self.max_offset:
            # Offsets cannot reach the end: scroll from the top instead (the first page is asked for again).
            self.listing = "discovery-scroll"
            yield from self._scroll_pages(self._pager())
            return
        self.listing = "discovery-offset"
        yield from self._emit(pager, first["results"])
        if pager.progressed():
            yield from self._offset_pages(pager, len(first["results"]))

    def _pager(self) -> Paginator:
        return self.paginator(seen=self._seen)

    def _page(self, **params: Any) -> dict[str, Any]:
        query: dict[str, Any] = {"domains": self.domain, "search_context": self.domain, "limit": self.page_size}
        if self.only:
            query["only"] = self.only
        query.update({k: v for k, v in params.items() if v is not None})
        try:
            page = self.http.get_json(self.catalog_url, params=query)
        except FetchError as exc:
            raise HarvestAborted(f"the Discovery API stopped answering: {exc.reason}") from exc
        if not isinstance(page, dict) or not isinstance(page.get("results"), list):
            raise HarvestAborted("the Discovery API answered without a results list")
        self.details["pages"] += 1
        return page

    def _offset_pages(self, pager: Paginator, offset: int) -> Iterator[DatasetRecord | SkippedRecord]:
        if offset < self.page_size:
            return
        while self.expected_total is None or offset < self.expected_total:
            if offset + self.page_size > self.max_offset:
                # The catalogue grew past what offsets reach: scroll the rest, the seen ids skip repeats.
                self.listing = "discovery-offset+scroll"
                yield from self._scroll_pages(self._pager())
                return
            if not pager.begin(("offset", offset)):
                return
            results = self._page(offset=offset, order=self.options.order)["results"]
            yield from self._emit(pager, results)
            if not pager.progressed() or len(results) < self.page_size:
                return
            offset += len(results)

    def _scroll_pages(self, pager: Paginator) -> Iterator[DatasetRecord | SkippedRecord]:
        last = SCROLL_START
        while True:
            if not pager.begin(("scroll", last)):
                return
            page = self._page(scroll_id=last)
            if self.expected_total is None:
                self.expected_total = as_int(page.get("resultSetSize"))
            results = page["results"]
            yield from self._emit(pager, results)
            ids = [i for i in (_asset_id(r) for r in results) if i]
            if not ids or len(results) < self.page_size:
                return
            if ids[-1] <= last:
                self.stop_listing(f"scroll_id paging did not advance past {last}")
                return
            last = ids[-1]

    def _changed_since(self, since: str) -> Generator[DatasetRecord | SkippedRecord, None, bool]:
        """Discovery has no modified filter: page newest first and stop at the first asset older than the bookmark.

        Returns True when the listing reached assets older than the bookmark (or the end, or broke off), False
        when the changes ran deeper than offsets reach.
        """
        self.listing = "discovery-updated-desc"
        pager = self._pager()
        offset = 0
        while offset + self.page_size <= self.max_offset:
            if not pager.begin(("updated-desc", offset)):
                return True
            results = self._page(offset=offset, order="updatedAt DESC")["results"]
            for result in results:
                updated = read_date(_resource(result).get("updatedAt"), [])
                if updated is not None and updated < since:
                    return True
                yield from self._emit(pager, [result])
            if not pager.progressed() or len(results) < self.page_size:
                return True
            offset += len(results)
        return False

    def _emit(self, pager: Paginator, results: Iterable[Any]) -> Iterator[DatasetRecord | SkippedRecord]:
        for result in results:
            native = _asset_id(result)
            if not pager.is_new(native, result):
                self.details["repeats"] += 1
                continue
            if native is None:
                yield SkippedRecord(None, "a Discovery result without resource.id")
                continue
            yield self.map_native(result)

    def map_native(self, result: Any) -> DatasetRecord | SkippedRecord:
        """One Discovery result (with its /api/views metadata when asked for) → a record, or a reported skip."""
        native = _asset_id(result)
        view = self._view(native) if self.options.views_detail and native else None

        def build() -> DatasetRecord:
            record = map_result(result, self.portal_id, self.domain, view=view, with_view=self.options.views_detail)
            if self.options.views_detail and view is None:
                record.problems.append("/api/views metadata unavailable")
            return record

        return self.map_or_skip(native, build, modified=read_date(_resource(result).get("updatedAt"), []))

    def _view(self, native: str) -> dict[str, Any] | None:
        try:
            view = self.http.get_json(f"{self.views_url}/api/views/{quote(native, safe='')}.json")
        except FetchError:
            self.details["views_detail"]["failed"] += 1
            return None
        if not isinstance(view, dict):
            self.details["views_detail"]["failed"] += 1
            return None
        self.details["views_detail"]["fetched"] += 1
        return view

    def bookmark(self) -> dict[str, Any]:
        return self.tally.bookmark(with_labels=True)


# -- mapping ---------------------------------------------------------------------------------------
def _resource(result: Any) -> dict[str, Any]:
    resource = result.get("resource") if isinstance(result, dict) else None
    return resource if isinstance(resource, dict) else {}


def _asset_id(result: Any) -> str | None:
    native = _resource(result).get("id")
    return str(native) if native else None


def _labels(value: Any) -> list[str]:
    """domain_category is a string on some domains and a list on others."""
    values = value if isinstance(value, list) else [value]
    return [str(v).strip() for v in values if v not in (None, "") and str(v).strip()]


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))




def _text(value: Any) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text or None


def _at(values: Any, index: int) -> Any:
    return values[index] if isinstance(values, list) and index < len(values) else None




def _first_key_containing(mapping: dict[str, Any], parts: tuple[str, ...], unless: tuple[str, ...] = ()) -> Any:
    for key, value in mapping.items():
        name = key.lower()
        if any(p in name for p in parts) and not any(u in name for u in unless) and value not in (None, ""):
            return value
    return None


def _custom_fields(view: dict[str, Any]) -> dict[str, Any]:
    """/api/views metadata.custom_fields is {section: {field: value}}; flattened to "section_field" keys."""
    metadata = view.get("metadata") if isinstance(view.get("metadata"), dict) else {}
    sections = metadata.get("custom_fields") if isinstance(metadata.get("custom_fields"), dict) else {}
    return {f"{section}_{key}": value for section, values in sections.items() if isinstance(values, dict)
            for key, value in values.items()}


def _fields(resource: dict[str, Any], view: dict[str, Any] | None) -> list[Field]:
    """Columns from the Discovery columns_* arrays, completed by /api/views columns where fetched.

    Names starting with ':' are Socrata system and computed-region columns, not documented data items.
    """
    titles, types = resource.get("columns_name"), resource.get("columns_datatype")
    descriptions = resource.get("columns_description")
    fields: dict[str, Field] = {}
    for index, name in enumerate(resource.get("columns_field_name") or []):
        if name and not str(name).startswith(":"):
            fields.setdefault(str(name), Field(
                name=str(name), title=_text(_at(titles, index)), type=_text(_at(types, index)),
                description=_text(_at(descriptions, index)),
            ))
    for column in (view or {}).get("columns") or []:
        if not isinstance(column, dict):
            continue
        name = str(column.get("fieldName") or "")
        if not name or name.startswith(":"):
            continue
        known = fields.setdefault(name, Field(name=name))
        known.title = known.title or _text(column.get("name"))
        known.type = known.type or _text(column.get("dataTypeName"))
        known.description = known.description or _text(column.get("description"))
    return list(fields.values())


def _distributions(domain: str, native: str, asset_type: str | None, fields: list[Field],
                   modified: str | None) -> list[Distribution]:
    if asset_type not in TABULAR_TYPES:
        return []
    names = [f.name for f in fields]
    endpoint = f"https://{domain}/resource/{native}.json"
    export = f"https://{domain}/api/views/{native}/rows.csv?accessType=DOWNLOAD"
    return [
        Distribution(access_url=endpoint, title="SODA API", format_raw="JSON",
                     format=normalise_format("JSON", "application/json", endpoint), media_type="application/json",
                     is_api=True, modified=modified, field_names=names),
        Distribution(access_url=export, download_url=export, title="CSV export", format_raw="CSV",
                     format=normalise_format("CSV", "text/csv", export), media_type="text/csv",
                     modified=modified, field_names=names),
    ]


def map_result(
    result: dict[str, Any], portal_id: str, default_domain: str, *, view: dict[str, Any] | None = None,
    with_view: bool = False,
) -> DatasetRecord:
    """One Discovery API result (plus its /api/views metadata when fetched) → one record."""
    if not isinstance(result, dict):
        raise TypeError(f"a Discovery result must be an object, got {type(result).__name__}")
    resource = _resource(result)
    native = str(resource["id"])
    classification = result.get("classification") if isinstance(result.get("classification"), dict) else {}
    metadata = result.get("metadata") if isinstance(result.get("metadata"), dict) else {}
    view = view if isinstance(view, dict) else None
    domain = str(metadata.get("domain") or default_domain)
    problems: list[str] = []

    domain_metadata = {
        str(item["key"]): item.get("value") for item in classification.get("domain_metadata") or []
        if isinstance(item, dict) and item.get("key")
    }
    custom = _custom_fields(view) if view else {}
    department = _text(_first_key_containing(domain_metadata, DEPARTMENT_KEY_PARTS, CONTACT_KEY_PARTS))
    themes = _labels(classification.get("domain_category")) or (_labels(view.get("category")) if view else [])
    categories = [Category("theme", label) for label in themes]
    categories += [Category("other", label) for label in _labels(classification.get("categories"))]
    if department:
        categories.append(Category("department", department))
    frequency_raw = _text(_first_key_containing(domain_metadata, ("frequency",))
                          or _first_key_containing(custom, ("frequency",)))

    fields = _fields(resource, view)
    modified = (read_date(resource.get("data_updated_at"), problems, "data_updated_at")
                or (read_date(view.get("rowsUpdatedAt"), problems, "rowsUpdatedAt") if view else None)
                or read_date(resource.get("updatedAt"), problems, "updatedAt"))
    page_views = resource.get("page_views") if isinstance(resource.get("page_views"), dict) else {}
    views = as_int(page_views.get("page_views_total"))
    downloads = as_int(resource.get("download_count"))
    licence = metadata.get("license")
    if view:
        views = views if views is not None else as_int(view.get("viewCount"))
        downloads = downloads if downloads is not None else as_int(view.get("downloadCount"))
        view_licence = view.get("license") if isinstance(view.get("license"), dict) else {}
        licence = licence or view_licence.get("name") or view.get("licenseId")
    tags = [*(classification.get("tags") or []), *(classification.get("domain_tags") or []),
            *((view or {}).get("tags") or [])]
    return DatasetRecord(
        portal_id=portal_id,
        native_id=native,
        title=str(resource.get("name") or (view or {}).get("name") or native),
        landing_url=result.get("permalink") or result.get("link") or f"https://{domain}/d/{native}",
        description=_text(resource.get("description")) or _text((view or {}).get("description")),
        publisher=_text(resource.get("attribution")) or department,
        department=department,
        contact=_text(resource.get("contact_email")),
        licence=_text(licence),
        categories=categories,
        keywords=_unique(str(t).strip() for t in tags if isinstance(t, str)),
        frequency_raw=frequency_raw,
        frequency=normalise_frequency(frequency_raw),
        issued=read_date(resource.get("createdAt"), problems, "createdAt"),
        modified=modified,
        fields=fields,
        distributions=_distributions(domain, native, _text(resource.get("type")), fields, modified),
        usage=Usage(views=views, downloads=downloads),
        problems=problems,
        raw={"discovery": result, "view": view} if with_view else result,
    )
