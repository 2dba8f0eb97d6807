"""Chinese portal platforms: one profile-driven JSON adapter (request template, list path, field map, code tables).

Portals cluster into vendor families that share an API shape; each family is described by data in the
portal profile's `options` (schema: profiles/schemas/jsonapi.schema.json), never by code here. Paging
stops on an empty page, on reaching the reported total, or on a page that only repeats datasets already
listed (portals that ignore the page parameter must not loop forever).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import urljoin

import orjson

from harvester.adapters.base import Adapter, CatalogueFacts, Dimension, HarvestAborted, SkippedRecord
from harvester.adapters.jsonapi_template import (
    DETAIL_PLACEHOLDERS,
    LISTING_PLACEHOLDERS,
    TemplateError,
    check_template,
    compile_path,
    fill,
    fill_url,
    find_list,
    first,
    is_empty,
    lookup,
    split_text,
    template_keys,
)
from harvester.adapters.options import OptionsError
from harvester.adapters.values import as_int, read_date, too_deep, too_deep_message
from harvester.http import FetchError, Http
from harvester.profiles import ProfileError, validate
from harvester.records import Category, DatasetRecord, Distribution, Field, Usage, newest_date
from harvester.vocab import format_info, normalise_format, normalise_frequency

DEFAULT_PAGE_SIZE = 50
KEYWORD_SEPARATORS = ",，;；、|"
FIELD_SEPARATORS = "|,，、;；"
MAX_LABELS = 200
# Where the total count usually is, when the profile does not say: only reported, never used to stop paging.
TOTAL_KEYS = ("total", "totalCount", "recordsTotal", "totalElements", "totalNum", "totalRecords", "totalRecord",
              "totalSize", "totalRows")
# Request-template keys that show the listing API takes a search text or a classification filter.
SEARCH_KEYS = {"keyword", "keywords", "searchText", "searchString", "searchKey", "searchValue", "searchContent",
               "datasetKeyword", "resourceKeyword", "dataName", "resourcesName", "catalogTitle", "mlmc", "name",
               "title", "content", "query"}
FILTER_KEYS = {"group_id", "subjectId", "subjectType", "topicId", "domainId", "dataDomain", "classificationId",
               "themeId", "resourceSubject", "dataFieldCode", "subjectCodes", "categoryId", "fieldCode",
               "themeCode", "ind_id", "industryCode", "resourceIndustry", "org_code", "orgId", "deptId",
               "officeCode", "organId", "ssbmId"}

# Built-in guesses, used only when a profile maps no fields at all (e.g. freshly imported from CNPDS):
# the native labels most Chinese platforms use. A reviewed profile names its own paths.
DEFAULT_FIELDS: dict[str, Any] = {
    "id": ["id", "cata_id", "resId", "dataId", "datasetId", "uuid", "rowGuid", "rid", "METADATA_ID", "metadataId",
           "catalogId", "resourceId"],
    "title": ["title", "cata_title", "resTitle", "resourceName", "resourcesName", "datasetName", "dataset_name",
              "dataName", "catalogName", "subjectBaseName", "mlmc", "name"],
    "landing_url": ["url", "detailUrl", "href"],
    "description": ["description", "remark", "resAbstract", "resourceDesc", "open_list_abstract", "summary",
                    "tableRemark", "resourceDetail", "abstract"],
    "department": ["org_name", "orgName", "officeName", "organizationName", "dataSource", "providerDept",
                   "provideDepartName", "resOrgName", "deptName"],
    "frequency": ["frequency", "updateFrequency", "dataUpdatePeriod", "updateCycleTxt", "updateCycle", "renewCycle",
                  "open_rate"],
    "issued": ["publishTime", "releaseTime", "publishDate", "released_time", "createTime", "create_date"],
    "modified": ["updateTime", "update_time", "updateDate", "update_date", "dataUpdateTime", "lastUpdateTime"],
    "open_type": ["openType", "open_type", "openTypeName", "openMode", "openAttr", "shareTypeName"],
    "views": ["views", "viewCount", "visitCount", "visitCnt", "browseCount", "catalogStatistic.use_visit"],
    "downloads": ["downloads", "downloadCount", "downloadCnt", "downCount", "catalogStatistic.use_file_count"],
    "keywords": {"path": ["tags", "cata_tags", "data_label", "label", "keywords"]},
    "categories": [
        {"dimension": "theme", "path": ["subjectName", "topicName", "classificationName", "fieldName",
                                        "belongFieldName", "dataFieldName", "data_domain", "THEME_NAME",
                                        "cataLogGroups"]},
        {"dimension": "sector", "path": ["industryName", "industry", "industryField", "belongIndustry",
                                         "cataLogIndustrys"]},
    ],
}


def validate_options(profile: dict[str, Any]) -> dict[str, Any]:
    """The profile's options, checked against profiles/schemas/jsonapi.schema.json (ProfileError names the key)
    after their templates and paths are compiled (OptionsError names the key)."""
    options = profile.get("options")
    source = f"portal '{profile.get('id', '?')}' options"
    if not isinstance(options, dict):
        raise ProfileError(f"{source}: key 'options': the jsonapi adapter needs options with at least a request")
    _compile(options)
    validate(options, "jsonapi", source)
    for part in ("request", "detail"):
        bodies = [k for k in ("form", "json", "body") if k in (options.get(part) or {})]
        if len(bodies) > 1:
            raise ProfileError(f"{source}: key '{part}': give one body (form, json or body), not {', '.join(bodies)}")
    if "graphql" in options and (options["request"].get("method", "POST") != "POST" or
                                 any(k in options["request"] for k in ("form", "json", "body"))):
        raise ProfileError(f"{source}: key 'request': a graphql listing is a POST whose body the graphql key builds")
    return options


def _compile(options: dict[str, Any]) -> None:
    """Templates and paths checked before anything is sent: a broken one is an OptionsError naming its key."""
    try:
        for part, allowed in (("request", LISTING_PLACEHOLDERS), ("detail", DETAIL_PLACEHOLDERS)):
            request = options.get(part)
            if isinstance(request, dict):
                for key in ("url", "params", "form", "json", "body", "headers"):
                    if key in request:
                        check_template(request[key], allowed, f"{part}.{key}")
                if part == "detail" and "path" in request:
                    compile_path(request["path"], "detail.path")
        graphql = options.get("graphql")
        if isinstance(graphql, dict) and "variables" in graphql:
            check_template(graphql["variables"], LISTING_PLACEHOLDERS, "graphql.variables")
        if "landing_url" in options:
            check_template(options["landing_url"], DETAIL_PLACEHOLDERS, "landing_url")
        response = options.get("response")
        for key in ("list_path", "total_path"):
            if isinstance(response, dict) and key in response:
                compile_path(response[key], f"response.{key}")
        fields = options.get("fields")
        for name, spec in (fields.items() if isinstance(fields, dict) else ()):
            _compile_field(name, spec)
    except TemplateError as exc:
        raise OptionsError(exc.where, exc.expectation, exc.value) from None


def _compile_field(name: str, spec: Any) -> None:
    where = f"fields.{name}"
    if isinstance(spec, str):
        compile_path(spec, where)
    elif isinstance(spec, list):
        for index, item in enumerate(spec):
            if isinstance(item, str):
                compile_path(item, f"{where}.{index}")
            elif isinstance(item, dict) and "path" in item:
                _compile_field(f"{name}.{index}.path", item["path"])
    elif isinstance(spec, dict) and "path" in spec:
        _compile_field(f"{name}.path", spec["path"])


@dataclass(frozen=True)
class JsonApiOptions:
    """The checked options of a jsonapi profile (their full shape: profiles/schemas/jsonapi.schema.json)."""

    request: dict[str, Any]
    graphql: dict[str, Any] | None
    detail: dict[str, Any] | None
    response: dict[str, Any]
    fields: dict[str, Any]
    code_tables: dict[str, dict[str, str]]
    landing_url: str | None
    page_start: int
    page_size: int
    max_pages: int | None
    fields_from_profile: bool

    @classmethod
    def from_profile(cls, profile: dict[str, Any]) -> JsonApiOptions:
        options = validate_options(profile)
        request = options["request"]
        return cls(
            request=request, graphql=options.get("graphql"), detail=options.get("detail"),
            response=options.get("response") or {}, fields=options.get("fields") or DEFAULT_FIELDS,
            code_tables=options.get("code_tables") or {}, landing_url=options.get("landing_url"),
            page_start=int(request.get("page_start", 1)), page_size=int(request.get("page_size", DEFAULT_PAGE_SIZE)),
            max_pages=request.get("max_pages"), fields_from_profile=bool(options.get("fields")),
        )


class JsonApiAdapter(Adapter):
    family: ClassVar[str] = "jsonapi"
    options_required: ClassVar[bool] = True

    @classmethod
    def parse_options(cls, profile: dict[str, Any]) -> JsonApiOptions:
        return JsonApiOptions.from_profile(profile)

    def __init__(self, profile: dict[str, Any], http: Http) -> None:
        super().__init__(profile, http)
        self.options: JsonApiOptions
        self.request = self.options.request
        self.graphql = self.options.graphql
        self.detail = self.options.detail
        self.response = self.options.response
        self.fields = self.options.fields
        self.code_tables = self.options.code_tables
        self.base_url = (profile.get("api_url") or profile["url"]).rstrip("/") + "/"
        self.site_url = profile["url"]
        self.page_start = self.options.page_start
        self.page_size = self.options.page_size
        self._labels: dict[str, set[str]] = {}
        self._unmapped: dict[str, Counter[str]] = {}
        listing_keys = template_keys([self.request.get(k) for k in ("params", "form", "json")])
        if self.graphql:
            listing_keys |= template_keys(self.graphql.get("variables"))
        # These APIs offer no modified-since filter: every run lists the whole catalogue (incremental stays False).
        self.listing = "graphql" if self.graphql else "jsonapi"
        self.keyword_search = bool(listing_keys & SEARCH_KEYS) or None
        self.category_filter = bool(listing_keys & FILTER_KEYS) or None
        self.details.update({
            "request": "{} {}".format("POST" if self.graphql else _method(self.request),
                                      urljoin(self.base_url, self.request["url"])),
            "fields_source": "profile" if self.options.fields_from_profile else "built-in guesses",
            "pages": 0, "page_size": self.page_size, "duplicates_skipped": 0,
            "detail_requests": 0, "detail_failures": 0, "stopped": None,
        })

    # -- the stream ------------------------------------------------------------------------------
    def records(self, since: dict[str, Any] | None = None) -> Iterator[DatasetRecord | SkippedRecord]:
        if (since or {}).get("modified_since"):
            self.details["incremental_refused"] = "the listing API has no modified-since filter"
        pager = self.paginator(max_pages=self.options.max_pages)
        page_index = 0
        while True:
            if not pager.begin(page_index):
                if self.options.max_pages and pager.pages >= self.options.max_pages:
                    self.details["stopped"] = f"max_pages ({self.options.max_pages}) reached"
                return
            payload = self._listing_page(page_index)
            items, total = self._read_page(payload, page_index)
            self.details["pages"] = page_index + 1
            if page_index == 0:
                self.expected_total = total
            if not items:
                self.details["stopped"] = "empty page"
                return
            for item in items:
                native_id = self._native_id(item)
                if not pager.is_new(native_id, item):
                    self.details["duplicates_skipped"] += 1
                    continue
                yield self.map_native(item, native_id)
            if not pager.progressed():
                # The portal answered a page we already have: it ignores the page parameter or ran out.
                self.details["stopped"] = "page repeated datasets already listed"
                if self.expected_total is not None and pager.listed >= self.expected_total:
                    self.partial_reason = None  # every dataset the portal counts is listed: that was the end
                return
            if total is not None and self.response.get("total_path") and pager.listed >= total:
                self.details["stopped"] = "reported total reached"
                return
            if page_index == 0 and len(items) < self.page_size:
                # A portal that caps the page size below ours: offsets must follow what it really serves.
                self.page_size = len(items)
                self.details["page_size"] = self.page_size
            page_index += 1

    def _listing_page(self, page_index: int) -> Any:
        values = {"page": self.page_start + page_index, "page_size": self.page_size,
                  "offset": page_index * self.page_size}
        request = dict(self.request)
        if self.graphql:
            request["method"] = "POST"
            request["json"] = {
                "operationName": self.graphql.get("operation_name"),
                "query": self.graphql["query"],
                "variables": self.graphql.get("variables") or {},
            }
        try:
            payload = self._send(request, values)
        except FetchError as exc:
            where = "the first listing page" if page_index == 0 else f"listing page {page_index + 1}"
            raise HarvestAborted(f"{where} failed: {exc.reason}") from exc
        if self.graphql and isinstance(payload, dict) and payload.get("errors") and not payload.get("data"):
            raise HarvestAborted(f"the GraphQL listing answered errors: {_brief(payload['errors'])}")
        return payload

    def _send(self, request: dict[str, Any], values: dict[str, Any]) -> Any:
        method = _method(request)
        url = urljoin(self.base_url, fill_url(request["url"], values))
        body = fill(request["body"], values) if "body" in request else None
        response = self.http.request(
            method, url,
            params=fill(request.get("params"), values),
            data=body.encode("utf-8") if body is not None else fill(request.get("form"), values),
            json=fill(request.get("json"), values),
            headers={k: str(fill(v, values)) for k, v in (request.get("headers") or {}).items()} or None,
        )
        if not response.ok:
            raise FetchError(url, f"HTTP {response.status}", response.status)
        try:
            return response.json()
        except orjson.JSONDecodeError as exc:
            if too_deep(exc):
                raise FetchError(url, too_deep_message("the answer"), response.status) from exc
            head = response.body.lstrip()[:1]
            kind = "HTML" if head == b"<" else "not JSON"
            raise FetchError(url, f"answer is {kind} ({response.content_type or 'no content type'}), "
                                  "not the JSON this profile expects", response.status) from exc

    def _read_page(self, payload: Any, page_index: int) -> tuple[list[Any], int | None]:
        list_path = self.response.get("list_path")
        if list_path:
            items = lookup(payload, list_path)
            if items is None and page_index > 0:
                items = []  # some platforms drop the list key on the page after the last
        else:
            found = find_list(payload)
            list_path, items = found if found else (None, [] if page_index > 0 else None)
            if list_path and page_index == 0:
                self.details["list_path_found"] = list_path
        if not isinstance(items, list):
            what = "nothing" if items is None else f"{type(items).__name__} {_brief(items)}"
            keys = ", ".join(str(k) for k in payload) if isinstance(payload, dict) else type(payload).__name__
            raise HarvestAborted(f"listing page {page_index + 1}: expected a list at '{list_path or '?'}', "
                                 f"found {what} (answer keys: {keys})")
        total_path = self.response.get("total_path")
        total = as_int(lookup(payload, total_path)) if total_path else _guess_total(payload, list_path)
        return items, total

    def _native_id(self, item: Any) -> str | None:
        value = first([item], _paths(self.fields.get("id")))
        return None if is_empty(value) or isinstance(value, dict | list) else str(value).strip() or None

    def map_native(self, item: Any, native_id: str | None = None) -> DatasetRecord | SkippedRecord:
        """One listed entry (with its detail answer, when the profile asks for one) → a record, or a skip."""
        native_id = native_id if native_id is not None else self._native_id(item)
        if not isinstance(item, dict):
            return SkippedRecord(native_id, f"a listed dataset must be an object, got {type(item).__name__}")
        if native_id is None:
            return SkippedRecord(None, f"no dataset id at {_paths(self.fields.get('id'))}: {_brief(item)}")
        detail, problems = self._detail(native_id)
        return self.map_or_skip(native_id, lambda: self._map(item, detail, native_id, problems))

    def _detail(self, native_id: str) -> tuple[dict[str, Any] | None, list[str]]:
        if not self.detail:
            return None, []
        self.details["detail_requests"] += 1
        try:
            payload = self._send(self.detail, {"id": native_id})
        except FetchError as exc:
            self.details["detail_failures"] += 1
            return None, [f"detail request failed: {exc.reason}"]
        detail = lookup(payload, self.detail["path"]) if self.detail.get("path") else _unwrap(payload)
        if not isinstance(detail, dict):
            self.details["detail_failures"] += 1
            return None, [f"detail answer has no object at '{self.detail.get('path', '')}'"]
        return detail, []

    # -- mapping ---------------------------------------------------------------------------------
    def _map(self, item: dict[str, Any], detail: dict[str, Any] | None, native_id: str,
             problems: list[str]) -> DatasetRecord:
        sources = [detail, item] if detail is not None else [item]

        def text(name: str) -> str | None:
            value = first(sources, _paths(self.fields.get(name)))
            if value is None or isinstance(value, dict | list):
                return None
            return str(value).strip() or None

        title = text("title")
        if title is None:
            raise ValueError(f"no title at {_paths(self.fields.get('title'))}")
        department = text("department")
        categories = self._categories(sources)
        if department and not any(c.dimension == "department" for c in categories):
            categories.append(Category("department", department))
        for category in categories:
            labels = self._labels.setdefault(category.dimension, set())
            if len(labels) < MAX_LABELS:
                labels.add(category.label)
        frequency_raw = self._frequency(text("frequency"), text("frequency_text"), problems)
        landing = text("landing_url")
        if landing is None and self.options.landing_url:
            landing = fill_url(self.options.landing_url, {"id": native_id})
        distributions = self._distributions(sources)
        return DatasetRecord(
            portal_id=self.profile["id"],
            native_id=native_id,
            title=title,
            landing_url=urljoin(self.site_url, landing) if landing else None,
            description=text("description"),
            publisher=text("publisher") or department,
            department=department,
            contact=text("contact"),
            licence=self._coded("licence", text("licence")),
            access_rights=self._coded("access_rights", text("access_rights")),
            categories=categories,
            keywords=_dedupe(self._list_values(sources, self.fields.get("keywords"), KEYWORD_SEPARATORS)),
            frequency_raw=frequency_raw,
            frequency=normalise_frequency(frequency_raw),
            issued=read_date(first(sources, _paths(self.fields.get("issued"))), problems, "issued"),
            modified=read_date(first(sources, _paths(self.fields.get("modified"))), problems, "modified"),
            data_modified=newest_date(d.modified for d in distributions),  # the newest file's date, where given
            spatial=text("spatial"),
            temporal=text("temporal"),
            fields=self._data_items(sources),
            distributions=distributions,
            usage=Usage(
                views=as_int(first(sources, _paths(self.fields.get("views")))),
                downloads=as_int(first(sources, _paths(self.fields.get("downloads")))),
                api_calls=as_int(first(sources, _paths(self.fields.get("api_calls")))),
            ),
            open_type=self._coded("open_type", text("open_type")),
            record_count=as_int(first(sources, _paths(self.fields.get("record_count")))),
            problems=problems,
            raw=item if detail is None else {"list": item, "detail": detail},
        )

    def _coded(self, name: str, value: str | None) -> str | None:
        table = self.code_tables.get(name)
        if value is None or not table:
            return value
        if value in table:
            return table[value]
        self._unmapped.setdefault(name, Counter())[value] += 1
        return value

    def _frequency(self, coded: str | None, free_text: str | None, problems: list[str]) -> str | None:
        """The declared cycle's label: the free text when the platform keeps one, else the code's label."""
        table = self.code_tables.get("frequency")
        label = self._coded("frequency", coded)
        if table and coded is not None and coded not in table and not free_text:
            problems.append(f"frequency code {coded!r} is not in the profile's code table")
        return free_text or label

    def _list_values(self, sources: list[Any], spec: Any, separators: str) -> list[str]:
        if spec is None:
            return []
        path = spec.get("path") if isinstance(spec, dict) else spec
        split = spec.get("split", separators) if isinstance(spec, dict) else separators
        key = spec.get("key") if isinstance(spec, dict) else None
        return _as_labels(first(sources, _paths(path)), split, key)

    def _categories(self, sources: list[Any]) -> list[Category]:
        categories: list[Category] = []
        seen: set[tuple[str, str]] = set()
        for spec in self.fields.get("categories") or []:
            value = first(sources, _paths(spec["path"]))
            entries: list[tuple[str, str | None]] = []
            if isinstance(value, list):
                for entry in value:
                    if isinstance(entry, dict):
                        label = _label_of(entry, spec.get("label"))
                        code = entry.get(spec["code"]) if spec.get("code") else None
                        if label:
                            entries.append((label, str(code) if code not in (None, "") else None))
                    elif not is_empty(entry):
                        entries.append((str(entry).strip(), None))
            elif isinstance(value, dict):
                label = _label_of(value, spec.get("label"))
                if label:
                    entries.append((label, None))
            elif not is_empty(value):
                text = str(value).strip()
                parts = split_text(text, spec["split"]) if spec.get("split") else [text]
                entries.extend((part, None) for part in parts)
            for label, code in entries:
                if (spec["dimension"], label) not in seen:
                    seen.add((spec["dimension"], label))
                    categories.append(Category(spec["dimension"], label, code))
        return categories

    def _data_items(self, sources: list[Any]) -> list[Field]:
        spec = self.fields.get("fields")
        if not spec:
            return []
        value = first(sources, _paths(spec["path"]))
        found: dict[str, Field] = {}
        if isinstance(value, str):
            for name in split_text(value, spec.get("split", FIELD_SEPARATORS)):
                found.setdefault(name, Field(name=name))
        elif isinstance(value, list):
            for entry in value:
                if isinstance(entry, dict):
                    title = _text(entry.get(spec["title"])) if spec.get("title") else None
                    name = _text(entry.get(spec.get("name", "name"))) or title
                    if name:
                        found.setdefault(name, Field(
                            name=name, title=title,
                            type=_text(entry.get(spec["type"])) if spec.get("type") else None,
                            description=_text(entry.get(spec["description"])) if spec.get("description") else None,
                        ))
                elif _text(entry):
                    found.setdefault(_text(entry), Field(name=_text(entry)))
        return list(found.values())

    def _distributions(self, sources: list[Any]) -> list[Distribution]:
        spec = self.fields.get("distributions")
        distributions: list[Distribution] = []
        if spec:
            value = first(sources, _paths(spec["path"]))
            for entry in value if isinstance(value, list) else []:
                if not isinstance(entry, dict):
                    continue
                url = _text(lookup(entry, spec["url"])) if spec.get("url") else None
                download = _text(lookup(entry, spec["download_url"])) if spec.get("download_url") else None
                raw_format = _text(lookup(entry, spec["format"])) if spec.get("format") else None
                media_type = _text(lookup(entry, spec["media_type"])) if spec.get("media_type") else None
                code = normalise_format(raw_format, media_type, download or url)
                info = format_info(code)
                distributions.append(Distribution(
                    access_url=urljoin(self.site_url, url) if url else None,
                    download_url=urljoin(self.site_url, download) if download else None,
                    title=_text(lookup(entry, spec["title"])) if spec.get("title") else None,
                    format_raw=raw_format, format=code, media_type=media_type,
                    byte_size=as_int(lookup(entry, spec["size"])) if spec.get("size") else None,
                    is_api=bool(info and info.api),
                    modified=(read_date(lookup(entry, spec["modified"]), [], "modified")
                              if spec.get("modified") else None),
                ))
        if not distributions and self.fields.get("formats"):
            # Only the declared formats are known: one distribution per format, without an invented URL.
            for raw_format in _dedupe(self._list_values(sources, self.fields["formats"], ",，;；、|/")):
                code = normalise_format(raw_format)
                info = format_info(code)
                distributions.append(Distribution(access_url=None, format_raw=raw_format, format=code,
                                                  is_api=bool(info and info.api)))
        return distributions

    # -- state -----------------------------------------------------------------------------------
    def dimensions(self) -> dict[str, Dimension]:
        declared = {spec["dimension"] for spec in self.fields.get("categories") or []}
        if self.fields.get("department"):
            declared.add("department")
        return {
            dimension: Dimension(available=bool(self._labels.get(dimension)),
                                 count=len(self._labels.get(dimension, ())),
                                 labels=tuple(sorted(self._labels.get(dimension, ()))))
            for dimension in sorted(declared | set(self._labels))
        }

    def catalogue_info(self) -> CatalogueFacts:
        self.details["unmapped_codes"] = {name: dict(c.most_common(50)) for name, c in self._unmapped.items()}
        return super().catalogue_info()


def _method(request: dict[str, Any]) -> str:
    return request.get("method") or ("POST" if any(k in request for k in ("form", "json", "body")) else "GET")


def _paths(spec: Any) -> list[str]:
    if spec is None:
        return []
    return [spec] if isinstance(spec, str) else list(spec)


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, dict | list):
        return None
    return str(value).strip() or None


def _label_of(entry: dict[str, Any], key: str | None) -> str | None:
    candidates = [key] if key else ["name", "label", "title", "group_name", "value"]
    for candidate in candidates:
        label = _text(entry.get(candidate))
        if label:
            return label
    return None


def _as_labels(value: Any, separators: str, key: str | None) -> list[str]:
    if isinstance(value, list):
        labels = [_label_of(v, key) if isinstance(v, dict) else _text(v) for v in value]
        return [label for label in labels if label]
    if isinstance(value, str):
        if value.strip().startswith("["):  # some platforms send a JSON list as text
            try:
                return _as_labels(orjson.loads(value), separators, key)
            except orjson.JSONDecodeError:
                pass
        return split_text(value, separators)
    text = _text(value)
    return [text] if text else []


def _dedupe(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))






def _unwrap(payload: Any) -> Any:
    """The dataset object of a detail answer when the profile names no path: the usual envelope keys, else itself."""
    if isinstance(payload, dict):
        for key in ("data", "result", "record", "custom", "object"):
            if isinstance(payload.get(key), dict):
                return payload[key]
    return payload


def _guess_total(payload: Any, list_path: str | None) -> int | None:
    """A total count beside the list or at the top, when the profile names none (reported, never trusted to stop)."""
    parents = [payload]
    if list_path and "." in list_path:
        parents.insert(0, lookup(payload, list_path.rsplit(".", 1)[0]))
    for parent in parents:
        for key in TOTAL_KEYS:
            number = as_int(lookup(parent, key))
            if number is not None:
                return number
    return None


def _brief(value: Any, limit: int = 160) -> str:
    text = orjson.dumps(value, default=str).decode("utf-8", "replace") if not isinstance(value, str) else value
    return text if len(text) <= limit else text[:limit] + "…"
