"""Catalogue-file rows → records: the profile's column mapping, placeholders, and re-pairing scraped label/values."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from urllib.parse import urljoin

from harvester.adapters.values import count_from
from harvester.dates import BadDate, parse_date
from harvester.records import Category, DatasetRecord, Distribution, Field, Usage, newest_date
from harvester.vocab import format_info, normalise_format, normalise_frequency, normalise_label

# Values portals write for "none"; a profile's `placeholders` add to these.
DEFAULT_PLACEHOLDERS = ("暂无", "无", "暂无数据", "無", "-", "--", "—", "/", "N/A", "NA", "null", "none", "nan", "空")
TEXT_FIELDS = ("description", "publisher", "department", "contact", "licence", "access_rights", "spatial", "temporal",
               "open_type")
_NUMBER = re.compile(r"^[+-]?\d+(?:\.\d+)?$")
# "15.03 MB", "509,76 KB", "1004 Bytes": a size as the portal's page shows it; multiples of 1024, as Drupal and
# most portal software compute them.
_SIZE = re.compile(r"^(\d[\d,]*(?:\.\d+)?)\s*(bytes?|b|[kmgt]i?b)$", re.IGNORECASE)
_SIZE_POWERS = {"k": 1, "m": 2, "g": 3, "t": 4}


@dataclass(slots=True)
class Row:
    """One row of the file: `number` is its line (text formats) or sheet row (spreadsheets), for messages."""

    number: int
    values: dict[str, Any]
    raw: Any
    problems: list[str] = field(default_factory=list)
    digest: bytes = b""  # of the raw row, to find rows the file repeats


def clean(value: Any, placeholders: frozenset[str]) -> Any:
    """A cell as a usable value: text stripped, placeholders and blanks None, whole floats int, dates ISO text."""
    if value is None or isinstance(value, bool | dict):
        return value
    if isinstance(value, str):
        text = value.replace("\u00a0", " ").strip()
        return None if not text or normalise_label(text) in placeholders else text
    if isinstance(value, float):
        if math.isnan(value):
            return None
        return int(value) if value.is_integer() else value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        items = [clean(item, placeholders) for item in value]
        return [item for item in items if item is not None] or None
    return value


def lookup(values: Mapping[str, Any], label: str) -> Any:
    """A column by its label; 'info.来源部门' reaches into a nested object when no column has that exact label."""
    if label in values:
        return values[label]
    node: Any = values
    for part in label.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


@dataclass(frozen=True, slots=True)
class ColumnSpec:
    """Where one field's value is: columns tried in order, an optional pattern, separators for lists."""

    columns: tuple[str, ...]
    pattern: re.Pattern[str] | None = None
    separators: tuple[str, ...] = ()
    template: str | None = None
    item_pattern: re.Pattern[str] | None = None
    dimension: str | None = None

    @classmethod
    def parse(cls, spec: str | Mapping[str, Any]) -> ColumnSpec:
        if isinstance(spec, str):
            return cls((spec,))
        columns = spec["column"]
        separators = spec.get("separator") or ()
        return cls(
            columns=(columns,) if isinstance(columns, str) else tuple(columns),
            pattern=re.compile(spec["pattern"]) if spec.get("pattern") else None,
            separators=(separators,) if isinstance(separators, str) else tuple(separators),
            template=spec.get("template"),
            item_pattern=re.compile(spec["item_pattern"]) if spec.get("item_pattern") else None,
            dimension=spec.get("dimension"),
        )

    def _match(self, text: str) -> str | None:
        if self.pattern is None:
            return text
        found = self.pattern.search(text)
        if found is None:
            return None
        # The first group that took part, so alternatives ('(a)|(b)') each name their own value.
        value = next((g for g in found.groups() if g is not None), None) if found.groups() else found.group(0)
        return value.strip() if value and value.strip() else None

    def _finish(self, text: str) -> str:
        return self.template.replace("{value}", text) if self.template else text

    def text(self, values: Mapping[str, Any], placeholders: frozenset[str]) -> str | None:
        """The first column with a usable value (lists joined), through the pattern and template."""
        for column in self.columns:
            value = clean(lookup(values, column), placeholders)
            if value is None or isinstance(value, dict):
                continue
            text = "、".join(map(str, value)) if isinstance(value, list) else str(value)
            matched = self._match(text)
            if matched is not None and normalise_label(matched) not in placeholders:
                return self._finish(matched)
        return None

    def items(self, values: Mapping[str, Any], placeholders: frozenset[str], unique: bool = True) -> list[str]:
        """A list: a JSON list as it is, or a text split by the separators; each item through the pattern.
        Lists that pair up item by item (formats with links) keep their repeats and their order."""
        for column in self.columns:
            value = clean(lookup(values, column), placeholders)
            if value is None or isinstance(value, dict):
                continue
            parts = value if isinstance(value, list) else [value]
            items: list[str] = []
            for part in parts:
                text = str(part)
                pieces = re.split("|".join(map(re.escape, self.separators)), text) if self.separators else [text]
                for piece in pieces:
                    item = clean(piece, placeholders)
                    item = self._match(str(item)) if item is not None else None
                    if item is not None and normalise_label(item) not in placeholders:
                        item = self._finish(item)
                        if not unique or item not in items:
                            items.append(item)
            if items:
                return items
        return []


def repair_pairs(value: Any, labels: frozenset[str], item_separator: str | None, pair_separator: str | None,
                 ) -> tuple[dict[str, Any] | None, str | None]:
    """Label/value pairs as a dict, and a problem when the scrape had to be re-paired.

    Scrapers that meet an empty value pair each label with the next one, so values end up as keys
    ({"所属行业": "发布时间", "2021-01-21 22:23:41": "最后更新时间", ...}). Read as one sequence of tokens,
    the pairs come back: a known label takes the next token as its value unless that is a label too.
    """
    if isinstance(value, str) and item_separator:
        return _pairs_from_text(value, labels, item_separator, pair_separator or "\t"), None
    if not isinstance(value, dict):
        return None, None
    if not labels or all(key in labels for key in value):
        return value, None
    tokens: list[Any] = [token for pair in value.items() for token in pair]
    pairs: dict[str, Any] = {}
    stray: list[str] = []
    index = 0
    while index < len(tokens):
        token = tokens[index]
        following = tokens[index + 1] if index + 1 < len(tokens) else None
        if isinstance(token, str) and token in labels:
            if following is not None and not (isinstance(following, str) and following in labels):
                pairs.setdefault(token, following)
                index += 2
                continue
            pairs.setdefault(token, None)
        elif token not in (None, ""):
            stray.append(str(token))
        index += 1
    problem = "values stood in place of labels (a shifted scrape); re-paired by label"
    if stray:
        problem += f"; unplaced: {', '.join(stray[:5])}"
    return pairs, problem


def _pairs_from_text(text: str, labels: frozenset[str], item_separator: str, pair_separator: str) -> dict[str, Any]:
    """'资源名称\\t河湖水情#资源分类\\t环境…' → pairs. With known labels, an item starting with one (then the pair
    separator or any blank) begins a pair and any other item continues the value before it."""
    pairs: dict[str, Any] = {}
    last: str | None = None
    by_length = sorted(labels, key=len, reverse=True)
    for item in text.split(item_separator):
        label, value = _split_pair(item, by_length, pair_separator)
        if label is not None and label not in pairs:
            pairs[label] = value.strip()
            last = label
        elif last is not None:
            pairs[last] = f"{pairs[last]}{item_separator}{item}".strip()
    return pairs


def _split_pair(item: str, labels: list[str], pair_separator: str) -> tuple[str | None, str]:
    text = item.lstrip()
    for label in labels:
        rest = text[len(label):]
        if text.startswith(label) and (not rest or rest.startswith(pair_separator) or rest[0].isspace()):
            return label, rest.removeprefix(pair_separator)
    if labels:
        return None, item
    label, separator, rest = text.partition(pair_separator)
    return (label.strip(), rest) if separator else (None, item)


@dataclass(slots=True)
class ColumnMapping:
    """The profile's `columns` (and linked-table columns), parsed once."""

    specs: dict[str, ColumnSpec]
    categories: list[ColumnSpec]
    placeholders: frozenset[str]
    site_url: str

    @classmethod
    def parse(cls, columns: Mapping[str, Any], placeholders: Iterable[str], site_url: str) -> ColumnMapping:
        specs = {name: ColumnSpec.parse(spec) for name, spec in columns.items() if name != "categories"}
        categories = [ColumnSpec.parse(spec) for spec in columns.get("categories") or []]
        marks = frozenset(normalise_label(p) for p in (*DEFAULT_PLACEHOLDERS, *placeholders))
        return cls(specs, categories, marks, site_url.rstrip("/") + "/")

    def text(self, name: str, values: Mapping[str, Any]) -> str | None:
        spec = self.specs.get(name)
        return spec.text(values, self.placeholders) if spec else None

    def items(self, name: str, values: Mapping[str, Any], unique: bool = True) -> list[str]:
        spec = self.specs.get(name)
        return spec.items(values, self.placeholders, unique) if spec else []

    def url(self, text: str | None) -> str | None:
        """Site-relative links (/dataset/slug) are resolved against the portal's address; others stay as written."""
        if not text:
            return None
        return urljoin(self.site_url, text) if text.startswith("/") and not text.startswith("//") else text

    def count(self, name: str, values: Mapping[str, Any], problems: list[str]) -> int | None:
        text = self.text(name, values)
        if text is None:
            return None
        number = text.replace(",", "").replace("，", "").replace(" ", "")
        if _NUMBER.match(number) and (count := count_from(float(number))) is not None:
            return count
        problems.append(f"{name}: {text!r} is not a number")
        return None

    def size(self, name: str, values: Mapping[str, Any], problems: list[str]) -> int | None:
        """Bytes, from a plain number or a size with its unit ("15.03 MB")."""
        text = self.text(name, values)
        found = _SIZE.match(text) if text else None
        if found is None:
            return self.count(name, values, problems)
        unit = found.group(2).lower()
        power = 0 if unit.startswith("b") else _SIZE_POWERS[unit[0]]
        number = found.group(1)  # a comma before one or two digits is a decimal comma, else a thousands separator
        number = number.replace(",", ".") if re.fullmatch(r"\d+,\d{1,2}", number) else number.replace(",", "")
        size = count_from(round(float(number) * 1024**power)) if math.isfinite(float(number)) else None
        if size is None:
            problems.append(f"{name}: {text!r} is not a size odq can store")
        return size

    def date(self, name: str, values: Mapping[str, Any], problems: list[str]) -> str | None:
        text = self.text(name, values)
        try:
            return parse_date(text)
        except BadDate as exc:
            problems.append(f"{name}: {exc}")
            return None

    def newest(self, name: str, values: Mapping[str, Any], problems: list[str]) -> str | None:
        """The latest of the dates a column lists (one per file: '2017/11/22 10:14;2018/03/08 15:50')."""
        dates = []
        for text in self.items(name, values):
            try:
                dates.append(parse_date(text))
            except BadDate as exc:
                problems.append(f"{name}: {exc}")
        return newest_date(dates)

    def fields(self, values: Mapping[str, Any]) -> list[Field]:
        spec = self.specs.get("fields")
        if spec is None:
            return []
        found: dict[str, Field] = {}
        for item in spec.items(values, self.placeholders):
            parts = spec.item_pattern.match(item) if spec.item_pattern else None
            groups = {k: (v.strip() or None) if v else None for k, v in parts.groupdict().items()} if parts else {}
            name = groups.get("name") or item
            found.setdefault(name, Field(name=name, title=groups.get("title"), type=groups.get("type"),
                                         description=groups.get("description")))
        return list(found.values())

    def category_list(self, values: Mapping[str, Any]) -> list[Category]:
        found: list[Category] = []
        for spec in self.categories:
            for label in spec.items(values, self.placeholders):
                category = Category(str(spec.dimension), label)
                if category not in found:
                    found.append(category)
        return found

    def distributions(self, values: Mapping[str, Any], problems: list[str]) -> list[Distribution]:
        """The distributions one row declares: one per format (a 'CSV;JSON' cell pairs with a 'url1;url2' cell)."""
        formats = self.items("format", values, unique=False)
        downloads = [self.url(u) for u in self.items("download_url", values, unique=False)]
        accesses = [self.url(u) for u in self.items("access_url", values, unique=False)]
        title = self.text("distribution_title", values)
        lengths = {len(x) for x in (formats, downloads, accesses) if len(x) > 1}
        if len(lengths) > 1:
            problems.append(f"{len(formats)} formats for {len(downloads) or len(accesses)} links: paired in order")
        total = max(len(formats), len(downloads), len(accesses), 1 if title else 0)
        media_type = self.text("media_type", values)
        byte_size = self.size("byte_size", values, problems)
        return [
            make_distribution(
                access_url=_nth(accesses, i) or _nth(downloads, i), download_url=_nth(downloads, i), title=title,
                format_raw=_nth(formats, i), media_type=media_type, byte_size=byte_size,
            )
            for i in range(total)
        ]

    def linked_distribution(self, values: Mapping[str, Any], problems: list[str]) -> Distribution:
        download = self.url(self.text("download_url", values))
        access = self.url(self.text("access_url", values))
        title = self.text("title", values)
        own: list[str] = []  # named by the distribution, so its "modified" is not taken for the dataset's
        distribution = make_distribution(
            access_url=access or download, download_url=download, title=title,
            format_raw=self.text("format", values), media_type=self.text("media_type", values),
            byte_size=self.size("byte_size", values, own), modified=self.date("modified", values, own),
            field_names=self.items("field_names", values),
        )
        problems.extend(f"distribution {title or download or access!r}: {problem}" for problem in own)
        return distribution

    def linked_field(self, values: Mapping[str, Any]) -> Field | None:
        """A field row (name, title, type, description); a table that has only titles names fields by them."""
        name, title = self.text("name", values), self.text("title", values)
        if name is None:
            name, title = title, None
        if name is None:
            return None
        return Field(name=name, title=title, type=self.text("type", values),
                     description=self.text("description", values))

    def record(self, portal_id: str, native_id: str, title: str, row: Row, problems: list[str]) -> DatasetRecord:
        """The dataset-level fields of one row (the first of a group); distributions are added by the caller."""
        values = row.values
        frequency_raw = self.text("frequency", values)
        text = {name: self.text(name, values) for name in TEXT_FIELDS}
        return DatasetRecord(
            portal_id=portal_id,
            native_id=native_id,
            title=title,
            landing_url=self.url(self.text("landing_url", values)),
            description=text["description"],
            publisher=text["publisher"] or text["department"],
            department=text["department"],
            contact=text["contact"],
            licence=text["licence"],
            access_rights=text["access_rights"],
            categories=self.category_list(values),
            keywords=self.items("keywords", values),
            frequency_raw=frequency_raw,
            frequency=normalise_frequency(frequency_raw),
            issued=self.date("issued", values, problems),
            modified=self.date("modified", values, problems),
            data_modified=self.newest("data_modified", values, problems),
            spatial=text["spatial"],
            temporal=text["temporal"],
            fields=self.fields(values),
            usage=Usage(
                views=self.count("views", values, problems),
                downloads=self.count("downloads", values, problems),
                api_calls=self.count("api_calls", values, problems),
            ),
            open_type=text["open_type"],
            record_count=self.count("record_count", values, problems),
            problems=problems,
        )


def _nth(items: list[Any], index: int) -> Any:
    return items[index] if index < len(items) else None


def make_distribution(*, access_url: str | None, download_url: str | None, title: str | None, format_raw: str | None,
                      media_type: str | None = None, byte_size: int | None = None, modified: str | None = None,
                      field_names: list[str] | None = None) -> Distribution:
    code = normalise_format(format_raw, media_type, download_url or access_url)
    info = format_info(code)
    return Distribution(
        access_url=access_url, download_url=download_url, title=title, format_raw=format_raw, format=code,
        media_type=media_type, byte_size=byte_size, is_api=bool(info and info.api), modified=modified,
        field_names=field_names or [],
    )
