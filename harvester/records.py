"""The one record model: a normalised dataset record per dataset per harvest, close to DCAT."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from dataclasses import fields as dataclass_fields
from datetime import UTC, datetime
from typing import Any

import orjson


@dataclass(slots=True)
class Category:
    """One classification of a dataset. dimension: theme | sector | department | region | open_type | other."""

    dimension: str
    label: str
    code: str | None = None


@dataclass(slots=True)
class Field:
    """A documented data item (数据项 / 主要欄位說明 / column metadata)."""

    name: str
    title: str | None = None
    type: str | None = None
    description: str | None = None


@dataclass(slots=True)
class Distribution:
    access_url: str | None
    download_url: str | None = None
    title: str | None = None
    format_raw: str | None = None
    format: str | None = None  # normalised code from profiles/vocab/formats.yaml, e.g. CSV, XLSX, API
    media_type: str | None = None
    byte_size: int | None = None
    is_api: bool = False
    modified: str | None = None
    field_names: list[str] = field(default_factory=list)  # columns declared for this very file, when a portal says

    @property
    def url(self) -> str | None:
        return self.download_url or self.access_url


@dataclass(slots=True)
class Usage:
    """Usage statistics. None means the portal does not publish the figure, never zero."""

    views: int | None = None
    downloads: int | None = None
    api_calls: int | None = None


@dataclass(slots=True)
class DatasetRecord:
    portal_id: str
    native_id: str
    title: str
    landing_url: str | None = None
    description: str | None = None
    publisher: str | None = None
    department: str | None = None
    contact: str | None = None
    licence: str | None = None
    access_rights: str | None = None
    categories: list[Category] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    frequency_raw: str | None = None
    frequency: str | None = None  # ISO 8601 duration (P1M) or a class: irregular/never/continuous/unknown
    issued: str | None = None  # ISO 8601 date-time, UTC when the portal says so
    modified: str | None = None  # the record's last change as the portal dates it (CKAN metadata_modified)
    # When the data itself last changed, where the portal dates it apart from the record (Taiwan 資料資源更新時間,
    # the newest distribution's modified date); None when the portal gives no such date.
    data_modified: str | None = None
    spatial: str | None = None
    temporal: str | None = None
    fields: list[Field] = field(default_factory=list)
    distributions: list[Distribution] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    open_type: str | None = None  # 无条件开放 / 有条件开放 as the portal labels it
    record_count: int | None = None
    problems: list[str] = field(default_factory=list)  # what the adapter could not read cleanly
    raw: Any = None  # the native JSON, kept for audit

    def document_json(self) -> bytes:
        """The normalised record without the native JSON (orjson serialises nested dataclasses natively)."""
        return orjson.dumps({name: getattr(self, name) for name in _DOCUMENT_FIELDS})

    def raw_json(self) -> bytes:
        """The native JSON with sorted keys, so a portal reordering keys does not make a new version."""
        return orjson.dumps(self.raw, option=orjson.OPT_SORT_KEYS)

    def content_hash(self) -> tuple[str, bytes, bytes]:
        """(hash, document JSON, raw JSON): serialised once, used for both identity and storage."""
        document, raw = self.document_json(), self.raw_json()
        return content_hash(document, raw), document, raw

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DatasetRecord:
        data = dict(data)
        data["categories"] = [Category(**c) for c in data.get("categories") or []]
        data["fields"] = [Field(**f) for f in data.get("fields") or []]
        data["distributions"] = [Distribution(**d) for d in data.get("distributions") or []]
        data["usage"] = Usage(**(data.get("usage") or {}))
        return cls(**data)


def newest_date(dates: Iterable[str | None]) -> str | None:
    """The latest of some ISO 8601 dates as harvester.dates writes them (naive UTC); None when there is none.
    Compared as instants, so '2017-11-22T10:14:00' and '2017-11-22' order correctly."""
    newest: tuple[datetime, str] | None = None
    for text in dates:
        if not text:
            continue
        try:
            instant = datetime.fromisoformat(text)
        except ValueError:
            continue  # an adapter notes unreadable dates when it reads them; here they just do not count
        instant = instant.astimezone(UTC).replace(tzinfo=None) if instant.tzinfo else instant
        if newest is None or instant > newest[0]:
            newest = (instant, text)
    return newest[1] if newest else None


def content_hash(*parts: bytes) -> str:
    """Identity of a record's content: an unchanged dataset hashes the same in every harvest."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(len(part).to_bytes(8, "big"))  # length-prefixed, so part boundaries cannot shift
        digest.update(part)
    return digest.hexdigest()


_DOCUMENT_FIELDS = tuple(f.name for f in dataclass_fields(DatasetRecord) if f.name != "raw")
