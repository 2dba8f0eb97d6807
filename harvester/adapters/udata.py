"""uData (data.gouv.fr and its siblings): /api/1/datasets/ pages, following next_page until it is null."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import urlencode, urljoin

from harvester.adapters.base import Adapter, HarvestAborted, SkippedRecord
from harvester.adapters.options import option
from harvester.adapters.values import as_int, read_date
from harvester.http import FetchError, Http
from harvester.records import Category, DatasetRecord, Distribution, Usage
from harvester.vocab import format_info, normalise_format, normalise_frequency

# Oldest first: a dataset created while we page lands on the last page instead of shifting the others.
SORT = "created"


@dataclass(frozen=True)
class UDataOptions:
    page_size: int = option(100, minimum=1, maximum=1000)
    sort: str | None = option(SORT)  # None lists in the portal's own order


class UDataAdapter(Adapter):
    family: ClassVar[str] = "udata"
    Options: ClassVar[type] = UDataOptions

    def __init__(self, profile: dict[str, Any], http: Http) -> None:
        super().__init__(profile, http)
        self.options: UDataOptions
        self.site_url = profile["url"].rstrip("/")
        root = (profile.get("api_url") or profile["url"]).rstrip("/")
        self.datasets_url = f"{root.removesuffix('/api/1')}/api/1/datasets/"
        self.listing = "api-1-datasets"
        self.keyword_search = True  # q= on /api/1/datasets/
        self.details.update(pages=0, repeats=0)

    def records(self, since: dict[str, Any] | None = None) -> Iterator[DatasetRecord | SkippedRecord]:
        if (since or {}).get("modified_since"):
            self.details["incremental_refused"] = "the uData list API has no modified filter"
        query: dict[str, Any] = {"page_size": self.options.page_size}
        if self.options.sort:
            query["sort"] = self.options.sort
        url: str | None = f"{self.datasets_url}?{urlencode(query)}"
        pager = self.paginator()
        while url and pager.begin(url):
            try:
                page = self.http.get_json(url)
            except FetchError as exc:
                raise HarvestAborted(f"the dataset list stopped answering at {url}: {exc.reason}") from exc
            if not isinstance(page, dict) or not isinstance(page.get("data"), list):
                raise HarvestAborted(f"{url} answered without a data list")
            self.details["pages"] += 1
            if self.expected_total is None:
                self.expected_total = as_int(page.get("total"))
            for dataset in page["data"]:
                native = _dataset_id(dataset)
                if not pager.is_new(native, dataset):
                    self.details["repeats"] += 1
                elif native is None:
                    yield SkippedRecord(None, "a dataset without an id")
                else:
                    yield self.map_native(dataset)
            following = page.get("next_page")
            if not following or not page["data"] or not pager.progressed():
                return
            url = urljoin(url, str(following))

    def map_native(self, dataset: Any) -> DatasetRecord | SkippedRecord:
        """One /api/1/datasets/ item → a record, or a reported skip."""
        modified = read_date(dataset.get("last_modified"), [], "last_modified") if isinstance(dataset, dict) else None
        return self.map_or_skip(_dataset_id(dataset), lambda: map_dataset(dataset, self.portal_id), modified=modified)


def _dataset_id(dataset: Any) -> str | None:
    native = dataset.get("id") if isinstance(dataset, dict) else None
    return str(native) if isinstance(native, str | int) and str(native).strip() else None


# -- mapping ---------------------------------------------------------------------------------------


def _text(value: Any) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text or None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}




def _frequency(value: Any) -> str | None:
    """A code ("monthly", "punctual"...), or {id, label} in some API versions."""
    if isinstance(value, dict):
        value = value.get("id") or value.get("label")
    return _text(value)


def _spatial(spatial: dict[str, Any]) -> str | None:
    zones = [str(z.get("name") or z.get("id")) if isinstance(z, dict) else str(z) for z in spatial.get("zones") or []]
    text = ", ".join(z for z in zones if z)
    granularity = _text(spatial.get("granularity"))
    if granularity and granularity != "other":
        text = f"{text} ({granularity})" if text else granularity
    return text or None


def _temporal(coverage: dict[str, Any], problems: list[str]) -> str | None:
    start = read_date(coverage.get("start"), problems, "temporal_coverage.start")
    end = read_date(coverage.get("end"), problems, "temporal_coverage.end")
    if not (start or end):
        return None
    return f"{(start or '')[:10]}/{(end or '')[:10]}"


def _distribution(resource: dict[str, Any], problems: list[str]) -> Distribution:
    url = _text(resource.get("url"))
    raw_format = _text(resource.get("format"))
    media_type = _text(resource.get("mime"))
    code = normalise_format(raw_format, media_type, url)
    info = format_info(code)
    uploaded = resource.get("filetype") == "file"
    return Distribution(
        access_url=url,
        download_url=(_text(resource.get("latest")) or url) if uploaded else None,
        title=_text(resource.get("title")),
        format_raw=raw_format,
        format=code,
        media_type=media_type,
        byte_size=as_int(resource.get("filesize")),
        is_api=resource.get("type") == "api" or bool(info and info.api),
        modified=read_date(resource.get("last_modified"), problems, "resource last_modified"),
    )


def _downloads(metrics: dict[str, Any], resources: list[dict[str, Any]]) -> int | None:
    """The dataset's resources_downloads where uData publishes it; older instances count downloads per
    resource in metrics.views. None when neither is there."""
    total = as_int(metrics.get("resources_downloads"))
    if total is not None:
        return total
    counts = [as_int(_dict(r.get("metrics")).get("views")) for r in resources]
    counts = [c for c in counts if c is not None]
    return sum(counts) if counts else None


def map_dataset(dataset: dict[str, Any], portal_id: str) -> DatasetRecord:
    """One /api/1/datasets/ item → one record."""
    if not isinstance(dataset, dict):
        raise TypeError(f"a dataset must be an object, got {type(dataset).__name__}")
    native = str(dataset["id"])
    problems: list[str] = []
    organization = _dict(dataset.get("organization"))
    owner = _dict(dataset.get("owner"))
    department = _text(organization.get("name"))
    owner_name = " ".join(str(owner[k]) for k in ("first_name", "last_name") if owner.get(k)) or None
    categories = [Category("department", department, organization.get("slug") or organization.get("id"))] \
        if department else []
    contacts = dataset.get("contact_points") or ([dataset["contact_point"]] if dataset.get("contact_point") else [])
    contact = "; ".join(
        " ".join(str(c[k]) for k in ("name", "email") if c.get(k)) for c in contacts if isinstance(c, dict)
    )
    frequency_raw = _frequency(dataset.get("frequency"))
    resources = [r for r in dataset.get("resources") or [] if isinstance(r, dict)]
    metrics = _dict(dataset.get("metrics"))
    # last_update is when a resource last changed (the data); last_modified also moves on metadata edits.
    modified = (read_date(dataset.get("last_update"), problems, "last_update")
                or read_date(dataset.get("last_modified"), problems, "last_modified"))
    return DatasetRecord(
        portal_id=portal_id,
        native_id=native,
        title=str(dataset.get("title") or dataset.get("slug") or native),
        landing_url=_text(dataset.get("page")),
        description=_text(dataset.get("description")),
        publisher=department or owner_name,
        department=department,
        contact=contact or None,
        licence=_text(dataset.get("license")),
        access_rights="private" if dataset.get("private") else "public",
        categories=categories,
        keywords=[str(t) for t in dataset.get("tags") or [] if t],
        frequency_raw=frequency_raw,
        frequency=normalise_frequency(frequency_raw),
        issued=read_date(dataset.get("created_at"), problems, "created_at"),
        modified=modified,
        spatial=_spatial(_dict(dataset.get("spatial"))),
        temporal=_temporal(_dict(dataset.get("temporal_coverage")), problems),
        distributions=[_distribution(r, problems) for r in resources],
        usage=Usage(views=as_int(metrics.get("views")), downloads=_downloads(metrics, resources)),
        problems=problems,
        raw=dataset,
    )
