"""CKAN: package_search paged by a keyset on metadata_created, falling back to package_list + package_show."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

import orjson

from harvester.adapters.base import Adapter, Dimension, HarvestAborted, SkippedRecord
from harvester.adapters.options import OptionsError, option
from harvester.adapters.paging import Paginator
from harvester.adapters.values import as_int, read_date
from harvester.dates import BadDate, parse_date
from harvester.http import FetchError, Http
from harvester.records import Category, DatasetRecord, Distribution, Field, Usage, newest_date
from harvester.vocab import format_info, normalise_format, normalise_frequency

# Where CKAN portals and their extensions put what the record model needs. Frequency: ckanext-dcat and
# scheming (accrual_periodicity), data.gov.uk/.au (frequency-of-update, update_freq), Hong Kong
# (update_frequency), mainland Chinese 更新频率/更新周期, Taiwanese 更新頻率/更新週期, Japanese 更新頻度
# (Tokyo, on 5,008 of 5,077 packages).
FREQUENCY_KEYS = (
    "update_frequency", "frequency", "accrual_periodicity", "accrualPeriodicity", "updateFrequency",
    "update-frequency", "frequency-of-update", "update_freq", "更新频率", "更新頻率", "更新周期", "更新週期",
    "更新頻度",
)
SECTOR_KEYS = ("sector", "industry", "所属行业", "行业分类")
OPEN_TYPE_KEYS = ("open_type", "开放类型", "开放属性", "open_condition")
RECORD_COUNT_KEYS = ("record_count", "数据量", "data_volume")
FIELD_KEYS = ("fields", "数据项", "data_items")
SORT = "metadata_created asc, id asc"
MAX_DATA_REQUESTS = 5000  # enough to measure reply delays; a portal with more is judged on these


@dataclass(frozen=True)
class CkanOptions:
    page_size: int = option(1000, minimum=1, maximum=10_000)  # rows per package_search page
    min_page_size: int = option(10, minimum=1)  # a failing page is halved down to this, then the listing stops
    max_pages: int | None = option(None, minimum=1)  # safety cap on listing requests

    def __post_init__(self) -> None:
        if self.min_page_size > self.page_size:
            raise OptionsError("min_page_size", f"an integer from 1 to page_size ({self.page_size})",
                               self.min_page_size)


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
        return self.map_or_skip(_package_id(package), lambda: map_package(package, self.portal_id, self.site_url))

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




def map_package(package: dict[str, Any], portal_id: str, site_url: str) -> DatasetRecord:
    """One CKAN package dict (package_show result or package_search item) → one record."""
    if not isinstance(package, dict):
        raise TypeError(f"a package must be an object, got {type(package).__name__}")
    extras = _extras(package)
    problems: list[str] = []
    native_id = str(package.get("id") or package["name"])
    organization = package.get("organization") if isinstance(package.get("organization"), dict) else {}
    department = organization.get("title") or organization.get("name")
    categories = [
        Category("theme", str(g.get("title") or g.get("display_name") or g.get("name")), g.get("name"))
        for g in package.get("groups") or [] if isinstance(g, dict)
    ]
    if department:
        categories.append(Category("department", str(department), organization.get("name")))
    sector = _first([extras, package], SECTOR_KEYS)
    if sector:
        categories.append(Category("sector", str(sector)))
    frequency_raw = _first([package, extras], FREQUENCY_KEYS)
    frequency_raw = str(frequency_raw).strip() if frequency_raw is not None else None
    tracking = package.get("tracking_summary") if isinstance(package.get("tracking_summary"), dict) else {}
    maintainer = " ".join(str(x) for x in (package.get("maintainer"), package.get("maintainer_email")) if x)
    name = package.get("name") or native_id
    distributions = [_distribution(r) for r in package.get("resources") or [] if isinstance(r, dict)]
    return DatasetRecord(
        portal_id=portal_id,
        native_id=native_id,
        title=str(package.get("title") or name),
        landing_url=f"{site_url}/dataset/{name}",
        description=package.get("notes") or None,
        publisher=department or package.get("author") or None,
        department=department or None,
        contact=maintainer or None,
        licence=package.get("license_title") or package.get("license_id") or None,
        access_rights="private" if package.get("private") else "public",
        categories=categories,
        keywords=[str(t.get("display_name") or t.get("name")) if isinstance(t, dict) else str(t)
                  for t in package.get("tags") or []],
        frequency_raw=frequency_raw or None,
        frequency=normalise_frequency(frequency_raw),
        issued=read_date(package.get("metadata_created"), problems, "metadata_created"),
        modified=read_date(package.get("metadata_modified"), problems, "metadata_modified"),
        data_modified=newest_date(d.modified for d in distributions),  # the files' own dates, not the metadata's
        spatial=_first([extras], ("spatial", "spatial_text")),
        temporal=_first([extras], ("temporal", "temporal_coverage")),
        fields=_fields(package, extras),
        distributions=distributions,
        usage=Usage(
            views=_first_int(_first([extras], ("views", "view_count", "浏览量")), tracking.get("total")),
            downloads=as_int(_first([extras, package], ("downloads", "download_count", "下载量"))),
            api_calls=as_int(_first([extras], ("api_calls", "api_call_count", "调用量"))),
        ),
        open_type=_first([extras], OPEN_TYPE_KEYS),
        record_count=as_int(_first([extras], RECORD_COUNT_KEYS)),
        problems=problems,
        raw=package,
    )
