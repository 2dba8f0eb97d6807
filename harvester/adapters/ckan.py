"""CKAN: package_search paged by a keyset on metadata_created, falling back to package_list + package_show."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

import orjson

from harvester.adapters.base import Adapter, Dimension, HarvestAborted, KeySection, SkippedRecord
from harvester.adapters.options import OptionsError, option
from harvester.adapters.paging import Paginator
from harvester.adapters.values import as_int, read_date
from harvester.dates import BadDate, parse_date
from harvester.http import FetchError, Http
from harvester.records import Category, DatasetRecord, Distribution, Field, Usage, newest_date
from harvester.vocab import format_info, normalise_format, normalise_frequency

# Where CKAN portals and their extensions put what the record model needs. Frequency: ckanext-dcat and
# scheming (accrual_periodicity), data.gov.uk/.au (frequency-of-update, update_freq), Hong Kong
# (update_frequency), mainland Chinese 更新频率/更新周期/更新频度/资源更新频率 (labels after the CNPDS field mapping),
# Taiwanese 更新頻率/更新週期, Japanese 更新頻度 (Tokyo, on 5,008 of 5,077 packages).
FREQUENCY_KEYS = (
    "update_frequency", "frequency", "accrual_periodicity", "accrualPeriodicity", "updateFrequency",
    "update-frequency", "frequency-of-update", "update_freq", "dataUpdatePeriod", "更新频率", "更新頻率", "更新周期",
    "更新週期", "更新頻度", "更新频度", "资源更新频率", "更新时限",
)
# Dates a portal declares beside CKAN's own metadata_created/metadata_modified, which date the CKAN record (on a
# harvesting portal, only the harvest): ckanext-dcat and scheming (issued, modified), data.gov.uk's UKLP extras
# (metadata-date; dataset-reference-date, read apart), Taiwan (上架日期, 詮釋資料更新時間, 資料資源更新時間) and the
# labels of mainland Chinese portals after the CNPDS field mapping. Tried before CKAN's own dates.
ISSUED_KEYS = ("issued", "发布时间", "发布日期", "首次发布时间", "首次发布日期", "资源发布日期", "目录发布时间",
               "上架日期")
MODIFIED_KEYS = ("modified", "metadata-date", "更新时间", "更新日期", "最后更新时间", "最近更新", "詮釋資料更新時間")
DATA_MODIFIED_KEYS = ("数据更新时间", "资源更新日期", "資料資源更新時間")  # the data's date, not the record's
SECTOR_KEYS = ("sector", "industry", "所属行业", "行业分类")
OPEN_TYPE_KEYS = ("open_type", "开放类型", "开放属性", "open_condition")
RECORD_COUNT_KEYS = ("record_count", "数据量", "data_volume")
FIELD_KEYS = ("fields", "数据项", "data_items")
# data.gov.au (spatial_coverage, contact_point), data.gov.uk (geographic_coverage, contact-name/-email,
# temporal_coverage-from/-to), ckanext-spatial (spatial).
SPATIAL_KEYS = ("spatial", "spatial_text", "spatial_coverage", "geographic_coverage")
TEMPORAL_KEYS = ("temporal", "temporal_coverage")
TEMPORAL_RANGE_KEYS = ("temporal_coverage-from", "temporal_coverage-to")
CONTACT_KEYS = ("contact_point", "contact-name", "contact-email")
VIEWS_KEYS = ("views", "view_count", "浏览量")
DOWNLOADS_KEYS = ("downloads", "download_count", "下载量")
API_CALLS_KEYS = ("api_calls", "api_call_count", "调用量")
REFERENCE_DATES_KEY = "dataset-reference-date"  # UKLP: [{"type": "publication"|"creation"|"revision", "value": …}]
# The record fields a profile's `keys` option can feed (see CkanOptions.keys).
KEYED_FIELDS = (
    "frequency", "issued", "modified", "data_modified", "department", "publisher", "contact", "licence", "spatial",
    "temporal", "sector", "open_type", "record_count", "views", "downloads", "api_calls",
)
# Package keys map_package reads itself, and CKAN's bookkeeping it passes over on purpose (ids, counters, revision
# stamps; isopen and license_url CKAN derives from license_id): the unmapped-keys report leaves all of them out.
PACKAGE_KEYS_READ = (
    "id", "name", "title", "notes", "author", "maintainer", "maintainer_email", "license_title", "license_id",
    "private", "tags", "groups", "organization", "metadata_created", "metadata_modified", "resources", "extras",
    "tracking_summary",
)
PACKAGE_BOOKKEEPING = (
    "state", "type", "owner_org", "creator_user_id", "revision_id", "revision_timestamp", "num_tags",
    "num_resources", "isopen", "license_url", "relationships_as_object", "relationships_as_subject",
)
RESOURCE_KEYS_READ = ("url", "url_type", "name", "format", "mimetype", "size", "is_api", "datastore_active",
                      "last_modified", "created", "schema")
RESOURCE_BOOKKEEPING = ("id", "package_id", "position", "revision_id", "state", "cache_url", "cache_last_updated",
                        "mimetype_inner", "resource_type", "hash", "tracking_summary", "webstore_url",
                        "webstore_last_updated")
BUILT_IN_KEYS = frozenset((
    *FREQUENCY_KEYS, *ISSUED_KEYS, *MODIFIED_KEYS, *DATA_MODIFIED_KEYS, *SECTOR_KEYS, *OPEN_TYPE_KEYS,
    *RECORD_COUNT_KEYS, *FIELD_KEYS, *SPATIAL_KEYS, *TEMPORAL_KEYS, *TEMPORAL_RANGE_KEYS, *CONTACT_KEYS,
    *VIEWS_KEYS, *DOWNLOADS_KEYS, *API_CALLS_KEYS, REFERENCE_DATES_KEY, *PACKAGE_KEYS_READ, *PACKAGE_BOOKKEEPING,
))
RESOURCE_KEYS = frozenset((*RESOURCE_KEYS_READ, *RESOURCE_BOOKKEEPING))
SORT = "metadata_created asc, id asc"
MAX_DATA_REQUESTS = 5000  # enough to measure reply delays; a portal with more is judged on these
KeyMap = Mapping[str, tuple[str, ...]]


@dataclass(frozen=True)
class CkanOptions:
    page_size: int = option(1000, minimum=1, maximum=10_000)  # rows per package_search page
    min_page_size: int = option(10, minimum=1)  # a failing page is halved down to this, then the listing stops
    max_pages: int | None = option(None, minimum=1)  # safety cap on listing requests
    # Record field -> the portal's own raw keys for it ({frequency: [更新间隔], department: [来源部门]}), looked up
    # at the package's top level, then in its extras, before odq's built-in keys (the profile knows its portal).
    keys: dict[str, Any] | None = option(None)

    def __post_init__(self) -> None:
        if self.min_page_size > self.page_size:
            raise OptionsError("min_page_size", f"an integer from 1 to page_size ({self.page_size})",
                               self.min_page_size)
        object.__setattr__(self, "keys", _key_map(self.keys or {}))

    def known_keys(self) -> frozenset[str]:
        """Every raw key this profile's mapping reads, for the unmapped-keys report."""
        return BUILT_IN_KEYS.union(*(self.keys or {}).values())


def _key_map(raw: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    """The `keys` option checked: known field names, each with one raw key or a list of them."""
    checked: dict[str, tuple[str, ...]] = {}
    for name, value in raw.items():
        if name not in KEYED_FIELDS:
            raise OptionsError(f"keys.{name}", "one of the record fields a CKAN key can feed ("
                               + ", ".join(KEYED_FIELDS) + ")")
        names = [value] if isinstance(value, str) else value
        if not isinstance(names, list) or not names or not all(isinstance(n, str) and n.strip() for n in names):
            raise OptionsError(f"keys.{name}", "a raw key or a list of raw keys (non-empty texts)", value)
        checked[name] = tuple(names)
    return checked


class CkanAdapter(Adapter):
    family: ClassVar[str] = "ckan"
    Options: ClassVar[type] = CkanOptions
    noun: ClassVar[str] = "package"

    def __init__(self, profile: dict[str, Any], http: Http) -> None:
        super().__init__(profile, http)
        self.options: CkanOptions
        root = (profile.get("api_url") or profile["url"]).rstrip("/")
        self.action_url = root if root.endswith("/api/3/action") else f"{root}/api/3/action"
        self.site_url = profile["url"].rstrip("/")
        self._dimensions: dict[str, Dimension] = {}
        self._rows = self.options.page_size  # shrinks when the portal fails on big pages
        self._known: frozenset[str] | None = None  # the raw keys the mapping reads, once per harvest

    # -- the stream ------------------------------------------------------------------------------
    def records(self, since: dict[str, Any] | None = None) -> Iterator[DatasetRecord | SkippedRecord]:
        since = since or {}
        modified_since = since.get("modified_since") if isinstance(since.get("modified_since"), str) else None
        if modified_since and isinstance(since.get("dimensions"), dict):
            # Incremental: the classification lists rarely change; the last full harvest's stand.
            self._dimensions = {str(k): Dimension.from_json(v) for k, v in since["dimensions"].items()}
        else:
            self._load_classification()
        try:  # rows=0 asks only for the count: a cheap probe of whether package_search works here
            first = self._search_page(rows=0, start=0, created_from=None, modified_since=modified_since)
        except FetchError as exc:
            if exc.status is not None and exc.status >= 500:
                raise HarvestAborted(f"package_search failed: {exc.reason}") from exc
            first = None
        if first is None:
            if modified_since:  # nothing to filter with: a full listing is the only honest answer
                self.details["incremental_refused"] = "package_search is unavailable"
                self._load_classification()
            self.listing = "package_list+package_show"
            yield from self._list_and_show()
            return
        self.listing = "package_search"
        self.keyword_search = True
        if not modified_since:
            self._probe_category_filter()
            self._probe_use()
        count = as_int(first.get("count"))
        if modified_since:
            self.incremental = True
            self.tally.newest_modified = modified_since
        else:
            self.expected_total = count
        if count == 0:
            return
        yield from self._keyset_pages(modified_since)

    def _action(self, name: str, **params: Any) -> Any:
        envelope = self.http.get_json(f"{self.action_url}/{name}", params=params or None)
        if not isinstance(envelope, dict) or envelope.get("success", False) is not True or "result" not in envelope:
            error = envelope.get("error") if isinstance(envelope, dict) else None
            raise FetchError(f"{self.action_url}/{name}", f"CKAN answered success=false: {_brief(error)}")
        return envelope["result"]

    def _search_page(
        self, *, rows: int, start: int, created_from: str | None, modified_since: str | None
    ) -> dict[str, Any] | None:
        filters = []
        if created_from:
            filters.append(f"metadata_created:[{_solr_time(created_from)} TO *]")
        if modified_since:
            filters.append(f"metadata_modified:[{_solr_time(modified_since)} TO *]")
        params: dict[str, Any] = {"q": "*:*", "rows": rows, "start": start, "sort": SORT}
        if filters:
            params["fq"] = " AND ".join(filters)
        try:
            result = self._action("package_search", **params)
        except FetchError as exc:
            if exc.status in (400, 403, 404, 405, 409) or exc.status is None and "success=false" in exc.reason:
                return None
            raise
        if not isinstance(result, dict) or not isinstance(result.get("results"), list):
            return None
        return result

    def _page(self, *, start: int, created_from: str | None, modified_since: str | None) -> dict[str, Any]:
        """One listing page; a server error (after the Http client's own retries) halves the page size down
        to min_page_size, since big pages time out on weak portals, then the listing breaks off."""
        while True:
            try:
                page = self._search_page(rows=self._rows, start=start, created_from=created_from,
                                         modified_since=modified_since)
            except FetchError as exc:
                if exc.status is not None and exc.status >= 500 and self._rows > self.options.min_page_size:
                    self._rows = max(self.options.min_page_size, self._rows // 2)
                    self.details["page_size_shrunk_to"] = self._rows
                    continue
                raise HarvestAborted(f"package_search stopped answering: {exc.reason}") from exc
            if page is None:
                raise HarvestAborted("package_search stopped answering mid-way")
            return page

    def _keyset_pages(self, modified_since: str | None) -> Iterator[DatasetRecord | SkippedRecord]:
        """Pages ordered by (metadata_created, id); each page starts at the last created time seen.

        Offsets are only used among datasets sharing that boundary timestamp, so datasets added or
        deleted while we page can neither shift a dataset out of the listing nor repeat one. A page
        holding datasets outside the range asked for shows a portal that ignores `fq`: the listing
        goes on by plain offsets (see _offset_pages).
        """
        pager = self.paginator(max_pages=self.options.max_pages)
        boundary: str | None = None
        seen_at_boundary: set[str] = set()
        while True:
            start = len(seen_at_boundary)
            if not pager.begin(("keyset", boundary, start)):
                return
            page = self._page(start=start, created_from=boundary, modified_since=modified_since)
            packages = page["results"]
            if not packages:
                return
            ignored = _ignored_filter(packages, boundary, modified_since)
            for package in packages:
                package_id = _package_id(package)
                created = str(package.get("metadata_created") or "") if isinstance(package, dict) else ""
                if not ignored and package_id is not None:
                    if created == boundary and package_id in seen_at_boundary:
                        continue
                    if created != boundary:
                        boundary, seen_at_boundary = created, set()
                    seen_at_boundary.add(package_id)
                if pager.is_new(package_id, package):
                    yield self.map_native(package)
            if ignored:
                self._fq_ignored(ignored, page, modified_since)
                # What is listed now is the head of the unfiltered order (page 1 had no filter, or this page
                # was the first): offsets go on from its end.
                yield from self._offset_pages(pager, pager.listed)
                return
            if not pager.progressed() or len(packages) < self._rows:
                return

    def _fq_ignored(self, evidence: str, page: dict[str, Any], modified_since: str | None) -> None:
        """The portal answers fq-filtered searches with other datasets: record it, and list everything."""
        self.details["fq_ignored"] = True
        self.details["fq_ignored_evidence"] = evidence
        self.listing = "package_search-offset"
        self.category_filter = False  # a filter the search ignores does not filter by category either
        if modified_since:
            self.incremental = False
            self.details["incremental_refused"] = (
                f"package_search ignores fq ({evidence}): only a full listing is an honest answer")
            self.expected_total = as_int(page.get("count"))
            self._load_classification()

    def _offset_pages(self, pager: Paginator, offset: int) -> Iterator[DatasetRecord | SkippedRecord]:
        """Plain offset pages in the stable order metadata_created asc, id asc, no filter; seen ids skipped."""
        while True:
            if not pager.begin(("offset", offset)):
                return
            packages = self._page(start=offset, created_from=None, modified_since=None)["results"]
            if not packages:
                return
            for package in packages:
                package_id = _package_id(package)
                if pager.is_new(package_id, package):
                    yield self.map_native(package)
            if not pager.progressed() or len(packages) < self._rows:
                return
            # On from the end of what is listed, not by the page's length: a page padded with repeats
            # must not make the next one skip datasets (a re-read one is only skipped as seen).
            offset = pager.listed

    def _list_and_show(self) -> Iterator[DatasetRecord | SkippedRecord]:
        try:
            names = self._action("package_list")
        except FetchError as exc:
            raise HarvestAborted(f"neither package_search nor package_list answered: {exc.reason}") from exc
        if not isinstance(names, list):
            raise HarvestAborted(f"package_list answered {type(names).__name__}, not a list of names")
        unique = list(dict.fromkeys(str(n) for n in names if isinstance(n, str | int) and str(n).strip()))
        if len(unique) < len(names):
            self.details["package_list_unusable_or_repeated"] = len(names) - len(unique)
        self.expected_total = len(unique)
        for name in unique:
            try:
                package = self._action("package_show", id=name)
            except FetchError as exc:
                yield SkippedRecord(name, f"package_show failed: {exc.reason}")
                continue
            yield self.map_native(package)

    def _probe_category_filter(self) -> None:
        """Can users filter the catalogue by a theme? Ask package_search for one group's datasets."""
        groups = self._dimensions.get("theme", Dimension(None)).codes
        if not groups:
            self.category_filter = None
            return
        try:
            result = self._action("package_search", q="*:*", rows=0, fq=f'groups:"{groups[0]}"')
        except FetchError as exc:
            # Refused outright, the filter does not work; a server fault or timeout leaves it unknown.
            refused = exc.status is not None and 400 <= exc.status < 500 or exc.status is None and \
                "success=false" in exc.reason
            self.category_filter = False if refused else None
            return
        count = as_int(result.get("count")) if isinstance(result, dict) else None
        self.category_filter = None if count is None else count > 0

    def _probe_use(self) -> None:
        """Development and use, where the portal's extensions publish it: data requests (ckanext-datarequests,
        with open and close times, so reply delays can be measured) and showcases (ckanext-showcase).
        An action the portal does not have leaves the fact unknown (None), never "no"."""
        requests: dict[str, dict[str, Any]] = {}
        try:
            while len(requests) < MAX_DATA_REQUESTS:
                page = self._action("datarequest_index", offset=len(requests), limit=100)
                items = page.get("result") if isinstance(page, dict) else None
                if not isinstance(items, list) or not items:
                    break
                before = len(requests)
                for item in items:
                    if isinstance(item, dict):
                        requests.setdefault(str(item.get("id") or len(requests)), item)
                if len(requests) == before or len(requests) >= (as_int(page.get("count")) or 0):
                    break  # the end, or a portal that repeats its pages
            self.details["data_requests"] = {
                "available": True, "listed": len(requests),
                "items": [{k: r.get(k) for k in ("id", "title", "open_time", "close_time", "closed")}
                          for r in requests.values()],
            }
        except FetchError:
            self.details["data_requests"] = {"available": None}
        try:
            showcases = self._action("ckanext_showcase_list")
            self.details["showcases"] = len(showcases) if isinstance(showcases, list) else None
        except FetchError:
            self.details["showcases"] = None

    def _load_classification(self) -> None:
        for dimension, action in (("department", "organization_list"), ("theme", "group_list")):
            try:
                items = self._action(action, all_fields="true")
            except FetchError as exc:
                self._dimensions[dimension] = Dimension(available=None, error=exc.reason)
                continue
            items = items if isinstance(items, list) else []
            labels = [
                str(item.get("title") or item.get("display_name") or item.get("name")) if isinstance(item, dict)
                else str(item)
                for item in items
            ]
            names = [str(item.get("name")) if isinstance(item, dict) else str(item) for item in items]
            self._dimensions[dimension] = Dimension(available=bool(labels), count=len(labels),
                                                    labels=tuple(labels[:200]), codes=tuple(names[:200]))

    def map_native(self, package: Any) -> DatasetRecord | SkippedRecord:
        """One package dict (package_show result or package_search item) → a record, or a reported skip."""
        keys = self.options.keys or {}
        # The bookmark stays CKAN's metadata_modified, the key package_search filters on, whatever date the
        # record's `modified` was read from.
        cursor = read_date(package.get("metadata_modified"), []) if isinstance(package, dict) else None
        return self.map_or_skip(_package_id(package), lambda: map_package(package, self.portal_id, self.site_url, keys),
                                modified=cursor)

    def key_sections(self, record: DatasetRecord) -> tuple[KeySection, ...]:
        package = record.raw
        if not isinstance(package, dict):
            return ()
        if self._known is None:
            self._known = self.options.known_keys()
        resources = tuple(r for r in package.get("resources") or () if isinstance(r, dict))
        return (KeySection("package", (package,), self._known),
                KeySection("extras", (_extras(package),), self._known),
                KeySection("resource", resources, RESOURCE_KEYS))

    # -- state -----------------------------------------------------------------------------------
    def bookmark(self) -> dict[str, Any]:
        if not self.tally.newest_modified:
            return {}
        return {"modified_since": self.tally.newest_modified,
                "dimensions": {name: d.to_json() for name, d in self._dimensions.items()}}

    def dimensions(self) -> dict[str, Dimension]:
        return dict(self._dimensions)


def _package_id(package: Any) -> str | None:
    if not isinstance(package, dict):
        return None
    value = package.get("id") or package.get("name")
    return str(value) if isinstance(value, str | int) and str(value).strip() else None


def _instant(value: Any) -> datetime | None:
    """A Solr-comparable instant (UTC, millisecond precision) of a CKAN timestamp; None when unreadable."""
    try:
        text = parse_date(value) if isinstance(value, str) else None
        parsed = datetime.fromisoformat(text) if text else None
    except (BadDate, ValueError):
        return None
    return parsed.replace(microsecond=parsed.microsecond // 1000 * 1000) if parsed else None


def _ignored_filter(packages: list[Any], created_from: str | None, modified_since: str | None) -> str | None:
    """Evidence that the portal ignored the fq of a page: a dataset outside the range asked for."""
    for bound, key in ((created_from, "metadata_created"), (modified_since, "metadata_modified")):
        floor = _instant(bound) if bound else None
        if floor is None:
            continue
        for package in packages:
            value = package.get(key) if isinstance(package, dict) else None
            instant = _instant(value)
            if instant is not None and instant < floor:
                return f"asked for {key} from {bound}, got {_package_id(package)!r} with {key} {value}"
    return None


def _brief(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 200 else text[:199] + "…"


def _solr_time(value: str) -> str:
    """Solr wants UTC with a Z and at most millisecond precision; truncating keeps the range inclusive."""
    text = value.replace("+00:00", "").rstrip("Z")
    if "." in text:
        head, fraction = text.split(".", 1)
        text = f"{head}.{fraction[:3]}"
    return text + "Z"


def _extras(package: dict[str, Any]) -> dict[str, Any]:
    extras = package.get("extras") or []
    if isinstance(extras, dict):
        return extras
    return {e.get("key"): e.get("value") for e in extras if isinstance(e, dict) and e.get("key")}


def _first(sources: list[dict[str, Any]], keys: tuple[str, ...]) -> Any:
    for source in sources:
        for key in keys:
            value = source.get(key)
            if value not in (None, "", [], {}):
                return value
    return None




def _first_int(*values: Any) -> int | None:
    for value in values:
        number = as_int(value)
        if number is not None:
            return number
    return None


def _truthy(value: Any) -> bool:
    return value is True or str(value).strip().lower() in {"y", "yes", "true", "1", "是"}


def _field_items(candidate: Any) -> list[Any]:
    """The field list of a Table Schema (dict or JSON text) or of a bare list; [] when there is none."""
    if isinstance(candidate, str) and candidate.strip().startswith(("{", "[")):
        try:
            candidate = orjson.loads(candidate)
        except orjson.JSONDecodeError:
            return []
    items = candidate.get("fields") if isinstance(candidate, dict) else candidate
    return items if isinstance(items, list) else []


def _fields(package: dict[str, Any], extras: dict[str, Any]) -> list[Field]:
    """Field documentation from resource Table Schemas (ckanext-validation) or a field-list extra."""
    candidates: list[Any] = [r.get("schema") for r in package.get("resources") or [] if isinstance(r, dict)]
    candidates.append(_first([extras, package], FIELD_KEYS))
    seen: dict[str, Field] = {}
    for candidate in candidates:
        for item in _field_items(candidate):
            if isinstance(item, dict) and (item.get("name") or item.get("id")):
                name = str(item.get("name") or item.get("id"))
                info = item.get("info") if isinstance(item.get("info"), dict) else {}
                seen.setdefault(name, Field(
                    name=name,
                    title=item.get("title") or info.get("label"),
                    type=item.get("type"),
                    description=item.get("description") or info.get("notes"),
                ))
    return list(seen.values())


def _distribution(resource: dict[str, Any]) -> Distribution:
    url = resource.get("url") or None
    raw_format = (resource.get("format") or "").strip() or None
    media_type = resource.get("mimetype") or None
    code = normalise_format(raw_format, media_type, url)
    info = format_info(code)
    is_api = _truthy(resource.get("is_api")) or bool(info and info.api) or _truthy(resource.get("datastore_active"))
    return Distribution(
        access_url=url,
        download_url=url if resource.get("url_type") == "upload" else None,
        title=resource.get("name") or None,
        format_raw=raw_format,
        format=code,
        media_type=media_type,
        byte_size=as_int(resource.get("size")),
        is_api=is_api,
        modified=read_date(resource.get("last_modified") or resource.get("created"), []),
        field_names=[str(f.get("name")) for f in _field_items(resource.get("schema"))
                     if isinstance(f, dict) and f.get("name")],
    )




class _Lookup:
    """A package's value for a record field: the profile's keys, then the built-in ones; top level, then extras."""

    __slots__ = ("keys", "sources")

    def __init__(self, package: dict[str, Any], extras: dict[str, Any], keys: KeyMap) -> None:
        self.sources = [package, extras]
        self.keys = keys

    def value(self, field: str, built_in: tuple[str, ...] = ()) -> Any:
        for names in (self.keys.get(field, ()), built_in):
            found = _first(self.sources, names) if names else None
            if found is not None:
                return found
        return None

    def text(self, field: str, built_in: tuple[str, ...] = ()) -> str | None:
        found = self.value(field, built_in)
        text = str(found).strip() if found is not None and not isinstance(found, dict | list) else ""
        return text or None

    def profile_value(self, field: str) -> Any:
        """Only what the profile's own keys give (for fields whose built-in source is not a key)."""
        names = self.keys.get(field, ())
        return _first(self.sources, names) if names else None


def _reference_dates(extras: dict[str, Any]) -> dict[str, Any]:
    """UKLP's dataset-reference-date ([{"type": "revision", "value": "2010-07-16"}], often as JSON text) by type."""
    value = extras.get(REFERENCE_DATES_KEY)
    if isinstance(value, str) and value.strip().startswith("["):
        try:
            value = orjson.loads(value)
        except orjson.JSONDecodeError:
            return {}
    if not isinstance(value, list):
        return {}
    return {str(item.get("type")): item.get("value") for item in value if isinstance(item, dict) and item.get("value")}


def _date(value: Any, problems: list[str], label: str) -> str | None:
    """A declared date; a ';'-separated list of them (Taiwan's per-file 資料資源更新時間) gives the newest."""
    if isinstance(value, str) and ";" in value:
        return newest_date(read_date(part.strip(), problems, label) for part in value.split(";") if part.strip())
    return read_date(value, problems, label)


def _dates(lookup: _Lookup, package: dict[str, Any], extras: dict[str, Any], distributions: list[Distribution],
           problems: list[str]) -> tuple[str | None, str | None, str | None]:
    """(issued, modified, data_modified): what the portal declares first, CKAN's own record dates after."""
    reference = _reference_dates(extras)
    issued = lookup.value("issued", ISSUED_KEYS) or reference.get("publication") or reference.get("creation")
    modified = lookup.value("modified", MODIFIED_KEYS)
    data_modified = lookup.value("data_modified", DATA_MODIFIED_KEYS) or reference.get("revision")
    return (
        _date(issued, problems, "issued") if issued is not None
        else read_date(package.get("metadata_created"), problems, "metadata_created"),
        _date(modified, problems, "modified") if modified is not None
        else read_date(package.get("metadata_modified"), problems, "metadata_modified"),
        _date(data_modified, problems, "data_modified") if data_modified is not None
        else newest_date(d.modified for d in distributions),  # the files' own dates, not the metadata's
    )


def _temporal(lookup: _Lookup, extras: dict[str, Any]) -> str | None:
    """A temporal text, or data.gov.uk's temporal_coverage-from/-to as 'from/to' (values may be JSON lists)."""
    declared = lookup.text("temporal", TEMPORAL_KEYS)
    if declared:
        return declared
    ends = [_first([extras], (key,)) for key in TEMPORAL_RANGE_KEYS]
    ends = [str(e[0] if isinstance(e, list) and e else e).strip("[]\" ") if e is not None else "" for e in ends]
    return "/".join(ends) if any(ends) else None


def _contact(lookup: _Lookup, package: dict[str, Any], extras: dict[str, Any]) -> str | None:
    declared = lookup.profile_value("contact")
    if declared is not None:
        return str(declared)
    for name, email in ((package.get("maintainer"), package.get("maintainer_email")),
                        (_first([package, extras], ("contact-name",)), _first([package, extras], ("contact-email",)))):
        joined = " ".join(str(x) for x in (name, email) if x)
        if joined:
            return joined
    found = _first([package, extras], ("contact_point",))
    return str(found) if found is not None else None


def map_package(package: dict[str, Any], portal_id: str, site_url: str, keys: KeyMap | None = None) -> DatasetRecord:
    """One CKAN package dict (package_show result or package_search item) → one record.

    `keys`: the profile's own raw keys per record field (CkanOptions.keys), tried before the built-in ones."""
    if not isinstance(package, dict):
        raise TypeError(f"a package must be an object, got {type(package).__name__}")
    extras = _extras(package)
    lookup = _Lookup(package, extras, keys or {})
    problems: list[str] = []
    native_id = str(package.get("id") or package["name"])
    organization = package.get("organization") if isinstance(package.get("organization"), dict) else {}
    department = lookup.text("department") or organization.get("title") or organization.get("name")
    categories = [
        Category("theme", str(g.get("title") or g.get("display_name") or g.get("name")), g.get("name"))
        for g in package.get("groups") or [] if isinstance(g, dict)
    ]
    if department:
        code = organization.get("name") if department in (organization.get("title"), organization.get("name")) \
            else None
        categories.append(Category("department", str(department), code))
    sector = lookup.text("sector", SECTOR_KEYS)
    if sector:
        categories.append(Category("sector", sector))
    frequency_raw = lookup.text("frequency", FREQUENCY_KEYS)
    tracking = package.get("tracking_summary") if isinstance(package.get("tracking_summary"), dict) else {}
    name = package.get("name") or native_id
    distributions = [_distribution(r) for r in package.get("resources") or [] if isinstance(r, dict)]
    issued, modified, data_modified = _dates(lookup, package, extras, distributions, problems)
    return DatasetRecord(
        portal_id=portal_id,
        native_id=native_id,
        title=str(package.get("title") or name),
        landing_url=f"{site_url}/dataset/{name}",
        description=package.get("notes") or None,
        publisher=lookup.text("publisher") or department or package.get("author") or None,
        department=department or None,
        contact=_contact(lookup, package, extras),
        licence=lookup.text("licence") or package.get("license_title") or package.get("license_id") or None,
        access_rights="private" if package.get("private") else "public",
        categories=categories,
        keywords=[str(t.get("display_name") or t.get("name")) if isinstance(t, dict) else str(t)
                  for t in package.get("tags") or []],
        frequency_raw=frequency_raw,
        frequency=normalise_frequency(frequency_raw),
        issued=issued,
        modified=modified,
        data_modified=data_modified,
        spatial=lookup.text("spatial", SPATIAL_KEYS),
        temporal=_temporal(lookup, extras),
        fields=_fields(package, extras),
        distributions=distributions,
        usage=Usage(
            views=_first_int(lookup.value("views", VIEWS_KEYS), tracking.get("total")),
            downloads=as_int(lookup.value("downloads", DOWNLOADS_KEYS)),
            api_calls=as_int(lookup.value("api_calls", API_CALLS_KEYS)),
        ),
        open_type=lookup.text("open_type", OPEN_TYPE_KEYS),
        record_count=as_int(lookup.value("record_count", RECORD_COUNT_KEYS)),
        problems=problems,
        raw=package,
    )
