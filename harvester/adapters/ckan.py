"""CKAN: package_search paged by a keyset on metadata_created, falling back to package_list + package_show."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

import orjson

from harvester.adapters.base import HarvestAborted, SkippedRecord
from harvester.adapters.values import as_int, read_date
from harvester.http import FetchError, Http
from harvester.records import Category, DatasetRecord, Distribution, Field, Usage
from harvester.vocab import format_info, normalise_format, normalise_frequency

# Where CKAN portals and their extensions put what the record model needs.
FREQUENCY_KEYS = (
    "update_frequency", "frequency", "accrual_periodicity", "accrualPeriodicity", "updateFrequency",
    "update-frequency", "更新频率", "更新頻率", "更新周期",
)
SECTOR_KEYS = ("sector", "industry", "所属行业", "行业分类")
OPEN_TYPE_KEYS = ("open_type", "开放类型", "开放属性", "open_condition")
RECORD_COUNT_KEYS = ("record_count", "数据量", "data_volume")
FIELD_KEYS = ("fields", "数据项", "data_items")
SORT = "metadata_created asc, id asc"
MAX_DATA_REQUESTS = 5000  # enough to measure reply delays; a portal with more is judged on these


class CkanAdapter:
    family: ClassVar[str] = "ckan"

    def __init__(self, profile: dict[str, Any], http: Http) -> None:
        self.profile = profile
        self.http = http
        options = profile.get("options") or {}
        root = (profile.get("api_url") or profile["url"]).rstrip("/")
        self.action_url = root if root.endswith("/api/3/action") else f"{root}/api/3/action"
        self.site_url = profile["url"].rstrip("/")
        self.page_size = int(options.get("page_size", 1000))
        self.min_page_size = int(options.get("min_page_size", 10))
        self.expected_total: int | None = None
        self.incremental = False  # True when records() yields only what changed since the bookmark
        self._newest_modified: str | None = None
        self._info: dict[str, Any] = {"listing": None, "dimensions": {}}

    # -- the stream ------------------------------------------------------------------------------
    def records(self, since: dict[str, Any] | None = None) -> Iterator[DatasetRecord | SkippedRecord]:
        modified_since = (since or {}).get("modified_since")
        if modified_since and (since or {}).get("dimensions") is not None:
            # Incremental: the classification lists rarely change; the last full harvest's stand.
            self._info["dimensions"] = since["dimensions"]
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
                self._info["incremental_refused"] = "package_search is unavailable"
                self._load_classification()
            self._info["listing"] = "package_list+package_show"
            yield from self._list_and_show()
            return
        self._info["listing"] = "package_search"
        self._info["search"] = True
        if not modified_since:
            self._probe_category_filter()
            self._probe_use()
        if modified_since:
            self.incremental = True
            self._newest_modified = modified_since
        else:
            self.expected_total = int(first.get("count") or 0)
        if int(first.get("count") or 0) == 0:
            return
        yield from self._keyset_pages(modified_since)

    def _action(self, name: str, **params: Any) -> Any:
        envelope = self.http.get_json(f"{self.action_url}/{name}", params=params or None)
        if not isinstance(envelope, dict) or not envelope.get("success", False):
            error = envelope.get("error") if isinstance(envelope, dict) else None
            raise FetchError(f"{self.action_url}/{name}", f"CKAN answered success=false: {error}")
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

    def _keyset_pages(self, modified_since: str | None) -> Iterator[DatasetRecord | SkippedRecord]:
        """Pages ordered by (metadata_created, id); each page starts at the last created time seen.

        Offsets are only used among datasets sharing that boundary timestamp, so datasets added or
        deleted while we page can neither shift a dataset out of the listing nor repeat one.
        """
        rows = self.page_size
        boundary: str | None = None
        seen_at_boundary: set[str] = set()
        while True:
            try:
                page = self._search_page(rows=rows, start=len(seen_at_boundary), created_from=boundary,
                                         modified_since=modified_since)
            except FetchError as exc:
                if exc.status is not None and exc.status >= 500 and rows > self.min_page_size:
                    rows = max(self.min_page_size, rows // 2)  # big pages time out on weak portals
                    self._info["page_size_shrunk_to"] = rows
                    continue
                raise HarvestAborted(f"package_search stopped answering: {exc.reason}") from exc
            if page is None:
                raise HarvestAborted("package_search stopped answering mid-way")
            packages = page["results"]
            if not packages:
                return
            for package in packages:
                created = str(package.get("metadata_created") or "")
                package_id = str(package.get("id") or package.get("name"))
                if created == boundary and package_id in seen_at_boundary:
                    continue
                if created != boundary:
                    boundary, seen_at_boundary = created, set()
                seen_at_boundary.add(package_id)
                yield self._map_or_skip(package)
            if len(packages) < rows:
                return

    def _list_and_show(self) -> Iterator[DatasetRecord | SkippedRecord]:
        try:
            names = self._action("package_list")
        except FetchError as exc:
            raise HarvestAborted(f"neither package_search nor package_list answered: {exc.reason}") from exc
        self.expected_total = len(names)
        for name in names:
            try:
                package = self._action("package_show", id=name)
            except FetchError as exc:
                yield SkippedRecord(str(name), f"package_show failed: {exc.reason}")
                continue
            yield self._map_or_skip(package)

    def _probe_category_filter(self) -> None:
        """Can users filter the catalogue by a theme? Ask package_search for one group's datasets."""
        groups = (self._info["dimensions"].get("theme") or {}).get("names") or []
        if not groups:
            self._info["category_filter"] = None
            return
        try:
            result = self._action("package_search", q="*:*", rows=0, fq=f'groups:"{groups[0]}"')
        except FetchError:
            self._info["category_filter"] = False
            return
        self._info["category_filter"] = isinstance(result, dict) and int(result.get("count") or 0) > 0

    def _probe_use(self) -> None:
        """Development and use, where the portal's extensions publish it: data requests (ckanext-datarequests,
        with open and close times, so reply delays can be measured) and showcases (ckanext-showcase).
        An action the portal does not have leaves the fact unknown (None), never "no"."""
        requests: list[dict[str, Any]] = []
        try:
            while len(requests) < MAX_DATA_REQUESTS:
                page = self._action("datarequest_index", offset=len(requests), limit=100)
                items = page.get("result") if isinstance(page, dict) else None
                if not items:
                    break
                requests.extend(i for i in items if isinstance(i, dict))
                if len(requests) >= int(page.get("count") or 0):
                    break
            self._info["data_requests"] = {
                "available": True, "listed": len(requests),
                "items": [{k: r.get(k) for k in ("id", "title", "open_time", "close_time", "closed")}
                          for r in requests],
            }
        except FetchError:
            self._info["data_requests"] = {"available": None}
        try:
            showcases = self._action("ckanext_showcase_list")
            self._info["showcases"] = len(showcases) if isinstance(showcases, list) else None
        except FetchError:
            self._info["showcases"] = None

    def _load_classification(self) -> None:
        for dimension, action in (("department", "organization_list"), ("theme", "group_list")):
            try:
                items = self._action(action, all_fields="true")
            except FetchError as exc:
                self._info["dimensions"][dimension] = {"available": None, "error": exc.reason}
                continue
            labels = [
                (item.get("title") or item.get("display_name") or item.get("name")) if isinstance(item, dict) else item
                for item in items or []
            ]
            names = [item.get("name") if isinstance(item, dict) else item for item in items or []]
            self._info["dimensions"][dimension] = {"available": bool(labels), "count": len(labels),
                                                   "labels": labels[:200], "names": names[:200]}

    def _map_or_skip(self, package: Any) -> DatasetRecord | SkippedRecord:
        native = package.get("id") or package.get("name") if isinstance(package, dict) else None
        try:
            record = map_package(package, self.profile["id"], self.site_url)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            return SkippedRecord(str(native) if native else None, f"unreadable package: {type(exc).__name__}: {exc}")
        if record.modified and (self._newest_modified is None or record.modified > self._newest_modified):
            self._newest_modified = record.modified
        return record

    def bookmark(self) -> dict[str, Any]:
        if not self._newest_modified:
            return {}
        return {"modified_since": self._newest_modified, "dimensions": self._info.get("dimensions")}

    def catalogue_info(self) -> dict[str, Any]:
        return self._info


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
        spatial=_first([extras], ("spatial", "spatial_text")),
        temporal=_first([extras], ("temporal", "temporal_coverage")),
        fields=_fields(package, extras),
        distributions=[_distribution(r) for r in package.get("resources") or [] if isinstance(r, dict)],
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
