"""Catalogue files (CSV, XLSX, XLS, JSON, JSON lines) a portal publishes or an evaluator scraped, mapped by profile.

The profile's `options` (schema: profiles/schemas/file.schema.json) say where the file is, how to read it and which
native column holds which record field. Rows stream from the fetched body one at a time; a messy row is read as far
as sound and its problems recorded, a row that cannot be a dataset is skipped with its row number, never fatal.
Row numbers in messages are the line (CSV, JSON lines, concatenated JSON), the sheet row (XLSX, XLS) or the
position in the list (a JSON document).
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import hashlib
import io
import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, ClassVar

import orjson

from harvester.adapters.base import Adapter, Dimension, HarvestAborted, SkippedRecord
from harvester.adapters.catalogue_file_mapping import ColumnMapping, Row, clean, lookup, repair_pairs
from harvester.adapters.values import too_deep, too_deep_message
from harvester.encoding import detect_encoding, sniff_kind
from harvester.http import FetchError, Http, Response
from harvester.profiles import ProfileError, validate
from harvester.records import DatasetRecord, Distribution, Field, newest_date

# Columns a catalogue file may have: real catalogues have tens; a file with more is hostile or not a catalogue
# (a 1.2 MB CSV can carry 200,000 empty columns). Rows of JSON catalogues are held to the same count of keys.
MAX_COLUMNS = 10_000
MAX_FIELD_CHARS = 64 * 1024 * 1024  # one CSV cell: as much as the Http client's default body cap


def sniff_format(body: bytes) -> str:
    """What the bytes are: a workbook by its signature, JSON by its first character, else CSV."""
    kind = sniff_kind(body)
    if kind == "HTML":
        raise HarvestAborted("the catalogue file URL answered an HTML page, not a file")
    if kind in ("ZIP", "GZIP", "ODS"):
        # Not read as a catalogue (yet): say what it is rather than fail as broken JSON or CSV.
        raise HarvestAborted(f"the catalogue file is a {kind} file; odq reads catalogue exports as CSV, TSV, XLSX, "
                             "XLS, JSON or JSON lines (unpack or convert it, or point the profile at the file inside)")
    if kind:
        return kind.lower()
    head = body[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"["):
        return "json"
    if head.startswith(b"{"):
        lines = [line for line in body.lstrip(b"\xef\xbb\xbf").splitlines()[:3] if line.strip()]
        try:
            orjson.loads(lines[0])
        except (orjson.JSONDecodeError, IndexError):
            return "json"  # a pretty-printed document, or objects written one after another
        return "jsonl" if len(lines) > 1 else "json"
    return "csv"


@dataclass(frozen=True, slots=True)
class Table:
    """How to read rows out of a file: the reading options shared by the catalogue and its linked tables."""

    format: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | int | None = None
    header_row: int = 1
    skip_rows: int = 0
    record_path: str | None = None

    @classmethod
    def from_options(cls, options: dict[str, Any]) -> Table:
        return cls(options.get("format"), options.get("encoding"), options.get("delimiter"), options.get("sheet"),
                   options.get("header_row", 1), options.get("skip_rows", 0), options.get("record_path"))


def read_rows(body: bytes, table: Table, info: dict[str, Any]) -> Iterator[Row | SkippedRecord]:
    """The rows of a catalogue file, one at a time; `info` learns the format and encoding found."""
    kind = table.format or sniff_format(body)
    info["format"] = kind
    if kind == "xlsx":
        yield from _labelled(_xlsx_cells(body, table.sheet, info), table, strict=False)
        return
    if kind == "xls":
        yield from _labelled(_xls_cells(body, table.sheet, info), table, strict=False)
        return
    text = _decode(body, table.encoding, info)
    if kind == "csv":
        yield from _labelled(_csv_cells(text, table.delimiter), table, strict=True)
    elif kind == "jsonl":
        yield from _json_lines(text, table.record_path)
    else:
        yield from _json_document(text, table.record_path)


def _decode(body: bytes, encoding: str | None, info: dict[str, Any]) -> str:
    chosen = encoding or detect_encoding(body)
    info["encoding"] = chosen
    info["encoding_detected"] = encoding is None
    try:
        return body.decode(chosen)
    except UnicodeDecodeError:  # a declared encoding that does not fit: read on, and say how much was lost
        text = body.decode(chosen, errors="replace")
        info["undecodable_characters"] = text.count("\ufffd")
        return text


def _jsonable(value: Any) -> Any:
    """Cells as JSON-safe values (dates as ISO text), so the raw row can be stored for audit."""
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def _csv_cells(text: str, delimiter: str | None) -> Iterator[tuple[int, list[Any]]]:
    if delimiter is None:
        sample = "\n".join(text[:65536].split("\n")[:20])  # whole lines: a cut line misleads the sniffer
        try:
            delimiter = csv.Sniffer().sniff(sample, delimiters=",\t;|").delimiter
        except csv.Error:
            delimiter = ","
    # A long description is a long field, not an error: the body's own byte cap bounds it (csv's default is 128 KB).
    csv.field_size_limit(max(csv.field_size_limit(), MAX_FIELD_CHARS))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    line = 1
    try:
        for cells in reader:
            yield line, cells
            line = reader.line_num + 1
    except csv.Error as exc:
        raise HarvestAborted(f"the CSV breaks off at line {reader.line_num}: {exc}") from exc


def _sheet_name(names: list[str], sheet: str | int | None) -> str:
    if sheet is None:
        return names[0]
    if isinstance(sheet, int):
        if 1 <= sheet <= len(names):
            return names[sheet - 1]
    elif sheet in names:
        return sheet
    raise HarvestAborted(f"the workbook has no sheet {sheet!r} (sheets: {', '.join(names)})")


def _xlsx_cells(body: bytes, sheet: str | int | None, info: dict[str, Any]) -> Iterator[tuple[int, list[Any]]]:
    import openpyxl  # imported on use: only spreadsheet catalogues need it

    try:
        book = openpyxl.load_workbook(io.BytesIO(body), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile, KeyError and its own errors for a broken workbook
        raise HarvestAborted(f"the XLSX catalogue cannot be opened: {type(exc).__name__}: {exc}") from exc
    try:
        name = _sheet_name(book.sheetnames, sheet)
        info["sheet"] = name
        for number, cells in enumerate(book[name].iter_rows(values_only=True), start=1):
            yield number, [_jsonable(c) for c in cells]
    finally:
        book.close()


def _xls_cells(body: bytes, sheet: str | int | None, info: dict[str, Any]) -> Iterator[tuple[int, list[Any]]]:
    import xlrd

    try:
        book = xlrd.open_workbook(file_contents=body, on_demand=True, logfile=io.StringIO())
    except Exception as exc:  # xlrd raises XLRDError, CompDocError, struct errors for broken files
        raise HarvestAborted(f"the XLS catalogue cannot be opened: {type(exc).__name__}: {exc}") from exc
    try:
        name = _sheet_name(book.sheet_names(), sheet)
        info["sheet"] = name
        worksheet = book.sheet_by_name(name)
        for index in range(worksheet.nrows):
            cells = []
            for cell in worksheet.row(index):
                value = cell.value
                if cell.ctype == xlrd.XL_CELL_DATE:
                    with contextlib.suppress(ValueError, OverflowError):  # a nonsense date stays a number
                        value = xlrd.xldate_as_datetime(value, book.datemode).isoformat()
                cells.append(_jsonable(value))
            yield index + 1, cells
    finally:
        book.release_resources()


def _header(cells: list[Any]) -> list[str]:
    """Column labels; a repeated label gets its ordinal ("名称 (2)"). Linear in the number of columns."""
    labels: list[str] = []
    used: set[str] = set()
    repeats: Counter[str] = Counter()
    for position, cell in enumerate(cells, start=1):
        label = str(cell).replace("\ufeff", "").strip() if cell not in (None, "") else f"column {position}"
        base = label
        while label in used:
            repeats[base] += 1
            label = f"{base} ({repeats[base] + 1})"
        used.add(label)
        labels.append(label)
    return labels


def _too_wide(count: int, what: str) -> str:
    return (f"{what} has {count:,} columns; odq reads catalogue files of at most {MAX_COLUMNS:,} columns "
            "(a catalogue has tens): refused unread")


def _labelled(cells: Iterator[tuple[int, list[Any]]], table: Table, strict: bool) -> Iterator[Row]:
    """Rows of cells → rows of labelled values; rows before the header and blank rows are not datasets."""
    header: list[str] | None = None
    skipped = 0
    for ordinal, (number, row) in enumerate(cells, start=1):
        if table.header_row and header is None:
            if ordinal == table.header_row:
                if len(row) > MAX_COLUMNS:
                    raise HarvestAborted(_too_wide(len(row), f"the header (row {number})"))
                header = _header(row)
            continue
        if skipped < table.skip_rows:
            skipped += 1
            continue
        if all(c is None or (isinstance(c, str) and not c.strip()) for c in row):
            continue
        if header is None and len(row) > MAX_COLUMNS:
            raise HarvestAborted(_too_wide(len(row), f"row {number}"))
        labels = header or [str(i) for i in range(1, len(row) + 1)]
        values = dict(zip(labels, row, strict=False))
        problems = []
        extra = [c for c in row[len(labels):] if c not in (None, "")]
        if extra:
            problems.append(f"{len(row)} cells for {len(labels)} columns: the cells beyond the header are ignored "
                            f"({str(extra[0])[:40]!r}...)")
        elif strict and header and len(row) < len(labels):
            problems.append(f"{len(row)} cells for {len(labels)} columns (shifted or cut-off row)")
        yield Row(number, values, dict(values), problems)


def _follow(node: Any, path: str | None) -> Any:
    for part in (path.split(".") if path else []):
        node = node.get(part) if isinstance(node, dict) else None
    return node


def _json_lines(text: str, record_path: str | None) -> Iterator[Row | SkippedRecord]:
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            item = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            reason = too_deep_message("the line") if too_deep(exc) else f"not JSON ({exc})"
            yield SkippedRecord(None, f"row {number}: {reason}")
            continue
        record = _follow(item, record_path)
        if not isinstance(record, dict):
            yield SkippedRecord(None, f"row {number}: not a JSON object at {record_path or 'the top'}")
            continue
        yield Row(number, dict(record), item)


def _json_document(text: str, record_path: str | None) -> Iterator[Row | SkippedRecord]:
    try:
        document = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        if too_deep(exc):
            raise HarvestAborted(too_deep_message("the JSON catalogue file")) from exc
        yield from _concatenated(text, record_path)  # objects written one after another, or a cut-off document
        return
    items = _follow(document, record_path)
    if isinstance(items, dict) and record_path is None:
        lists = [v for v in items.values() if isinstance(v, list) and v and isinstance(v[0], dict)]
        items = items.get("dataset") if isinstance(items.get("dataset"), list) else (lists[0] if len(lists) == 1
                                                                                     else None)
    if not isinstance(items, list):
        raise HarvestAborted(f"no list of records at {record_path or 'the top of the JSON document'}; "
                             "set options.record_path")
    for number, item in enumerate(items, start=1):
        if isinstance(item, dict):
            yield Row(number, dict(item), item)
        else:
            yield SkippedRecord(None, f"row {number}: not a JSON object")


def _concatenated(text: str, record_path: str | None) -> Iterator[Row | SkippedRecord]:
    """Pretty-printed objects one after another ('}{'): decoded one at a time, numbered by their first line."""
    decoder = json.JSONDecoder()
    position, line = 0, 1
    while True:
        start = position
        while start < len(text) and text[start] in " \t\r\n,":
            start += 1
        line += text.count("\n", position, start)
        if start >= len(text):
            return
        try:
            item, end = decoder.raw_decode(text, start)
        except RecursionError as exc:
            raise HarvestAborted(too_deep_message(f"the JSON object at line {line}")) from exc
        except json.JSONDecodeError as exc:
            raise HarvestAborted(f"the JSON breaks off at line {line + text.count(chr(10), start, exc.pos)}: "
                                 f"{exc.msg}") from exc
        record = _follow(item, record_path)
        if isinstance(record, dict):
            yield Row(line, dict(record), item)
        else:
            yield SkippedRecord(None, f"row {line}: not a JSON object")
        line += text.count("\n", start, end)
        position = end


@dataclass(frozen=True)
class FileOptions:
    """The checked options of a catalogue-file profile (their full shape: profiles/schemas/file.schema.json)."""

    raw: dict[str, Any]  # as the profile wrote them, for the linked tables' own reading options
    source: str
    table: Table
    mapping: ColumnMapping
    linked_mappings: dict[str, ColumnMapping]
    key_values: list[tuple[str, frozenset[str], str | None, str | None]]
    group_by: list[str]
    continues: list[str]

    @classmethod
    def from_profile(cls, profile: dict[str, Any]) -> FileOptions:
        options = profile.get("options") or {}
        source = f"portal {profile.get('id')!r} options"
        validate(options, "file", source)
        for where, spec in (("encoding", options), *((f"{t}.encoding", options.get(t) or {})
                                                     for t in ("distribution_table", "field_table"))):
            try:
                codecs.lookup(spec.get("encoding") or "utf-8")
            except LookupError:
                raise ProfileError(f"{source}: key '{where}': unknown encoding {spec['encoding']!r}") from None
        placeholders = options.get("placeholders") or ()
        try:
            mapping = ColumnMapping.parse(options["columns"], placeholders, profile["url"])
            linked = {name: ColumnMapping.parse(options[name]["columns"], placeholders, profile["url"])
                      for name in ("distribution_table", "field_table") if options.get(name)}
        except re.error as exc:
            raise ProfileError(f"{source}: a pattern is not a regular expression: {exc.pattern!r}: {exc}") from None
        return cls(
            raw=options, source=options["source"], table=Table.from_options(options), mapping=mapping,
            linked_mappings=linked,
            key_values=[(kv["column"], frozenset(kv.get("labels") or ()), kv.get("item_separator"),
                         kv.get("pair_separator")) for kv in options.get("key_value_columns") or []],
            group_by=options.get("group_by") or [], continues=options.get("group_continues_when_same") or [],
        )


class CatalogueFileAdapter(Adapter):
    family: ClassVar[str] = "file"
    options_required: ClassVar[bool] = True
    noun: ClassVar[str] = "row"

    @classmethod
    def parse_options(cls, profile: dict[str, Any]) -> FileOptions:
        return FileOptions.from_profile(profile)

    def __init__(self, profile: dict[str, Any], http: Http) -> None:
        super().__init__(profile, http)
        compiled: FileOptions = self.options
        self._raw = compiled.raw  # the linked tables read the profile's own option mapping
        self.source = compiled.source
        self.table = compiled.table
        self.mapping = compiled.mapping
        self.linked_mappings = compiled.linked_mappings
        self.key_values = compiled.key_values
        self.group_by = compiled.group_by
        self.continues = compiled.continues
        self._bookmark: dict[str, Any] = {}
        self._seen_rows: dict[bytes, int] = {}  # row digest -> first row number: repeated rows are reported
        self._seen_ids: dict[str, int] = {}
        self._linked: dict[str, dict[str, list[dict[str, Any]]]] = {}
        # A file says nothing about the portal's search or filters: unknown, not "no".
        self.listing = "catalogue file"
        self.details.update({
            "source": self.source, "rows": 0, "datasets": 0, "skipped": 0, "rows_with_problems": 0,
            "repeated_rows": 0, "repaired_rows": 0, "grouped_by": self.group_by or None,
        })

    # -- the stream ------------------------------------------------------------------------------
    def records(self, since: dict[str, Any] | None = None) -> Iterator[DatasetRecord | SkippedRecord]:
        response = self._fetch(self.source, since)
        if response is None:
            self.incremental = True  # the file has not changed: every dataset of the last harvest stands
            self._bookmark = dict(since or {})
            self.details["unchanged"] = True
            return
        body = response.body
        self._bookmark = {"sha256": hashlib.sha256(body).hexdigest()}
        for header, key in (("ETag", "etag"), ("Last-Modified", "last_modified")):
            if response.headers.get(header):
                self._bookmark[key] = response.headers[header]
        for name in ("distribution_table", "field_table"):
            if self._raw.get(name) and not self._raw[name].get("column"):
                self._linked[name] = self._load_linked(self._raw[name], body)
        rows = read_rows(body, self.table, self.details)
        for item in self.datasets_from_rows(rows):
            if isinstance(item, SkippedRecord):
                self.details["skipped"] += 1
            else:
                self.details["datasets"] += 1
            yield item
        self.expected_total = self.details["datasets"] + self.details["skipped"]

    def _fetch(self, url: str, since: dict[str, Any] | None) -> Response | None:
        """The file's bytes, or None when a conditional request or the content digest says it is unchanged."""
        headers = {}
        if since and since.get("etag"):
            headers["If-None-Match"] = since["etag"]
        if since and since.get("last_modified"):
            headers["If-Modified-Since"] = since["last_modified"]
        try:
            response = self.http.get(url, headers=headers or None)
        except FetchError as exc:
            raise HarvestAborted(f"the catalogue file {url} could not be fetched: {exc.reason}") from exc
        if response.status == 304 and since:
            return None
        if not response.ok:
            raise HarvestAborted(f"the catalogue file {url} answered HTTP {response.status}")
        if since and since.get("sha256") == hashlib.sha256(response.body).hexdigest():
            return None
        return response

    def _load_linked(self, spec: dict[str, Any], body: bytes) -> dict[str, list[dict[str, Any]]]:
        """Distribution or field rows by dataset key; held whole (a catalogue's linked sheet is small)."""
        if spec.get("source"):
            response = self._fetch(spec["source"], None)
            body = response.body if response is not None else b""
        # Another sheet of the same workbook reads like the catalogue; another file only by its own options.
        table = Table.from_options(spec if spec.get("source") else {**self._raw, **spec, "sheet": spec.get("sheet")})
        linked: dict[str, list[dict[str, Any]]] = {}
        for row in read_rows(body, table, {}):
            if isinstance(row, Row):
                key = clean(lookup(row.values, spec["key"]), self.mapping.placeholders)
                if key is not None:
                    linked.setdefault(str(key), []).append(row.values)
        return linked

    def _prepare(self, row: Row) -> None:
        self.details["rows"] += 1
        for column, labels, item_separator, pair_separator in self.key_values:
            pairs, problem = repair_pairs(row.values.get(column), labels, item_separator, pair_separator)
            if pairs is not None:
                row.values[column] = pairs
            if problem:
                row.problems.append(f"{column}: {problem}")
                self.details["repaired_rows"] += 1
        if row.problems:
            self.details["rows_with_problems"] += 1

    def _group_key(self, row: Row) -> tuple[Any, ...]:
        key = []
        for name in self.group_by:
            if name in self.mapping.specs:
                key.append(self.mapping.text(name, row.values))
            else:
                value = clean(lookup(row.values, name), self.mapping.placeholders)
                key.append(None if value is None else str(value))
        return tuple(key) if any(part is not None for part in key) else ("row", row.number)

    def datasets_from_rows(self, rows: Iterator[Row | SkippedRecord]) -> Iterator[DatasetRecord | SkippedRecord]:
        """One dataset per row, or per group of rows; an unsorted file's groups are held until its end
        (a catalogue file is a few MB at most), a sorted one's only until the next dataset begins."""
        groups: dict[tuple[Any, ...], list[Row]] = {}
        current: tuple[Any, ...] | None = None
        previous_same: list[Any] | None = None
        for row in rows:
            if isinstance(row, Row):
                row = _checked(row)
            if isinstance(row, SkippedRecord):
                yield row
                continue
            self._prepare(row)
            if not self.group_by:
                yield self._dataset([row], None)
                continue
            key = self._group_key(row)
            same = [lookup(row.values, column) for column in self.continues] if self.continues else None
            if same is not None and not any(value not in (None, "", {}, []) for value in same):
                same = None  # rows with nothing to compare continue nothing
            if current is not None and key != current and same is not None and same == previous_same:
                key = current  # e.g. the original upload listed under its own file name after the generated formats
            if self._raw.get("group_sorted") and current is not None and key != current and current in groups:
                yield self._dataset(groups.pop(current), current)
            groups.setdefault(key, []).append(row)
            current, previous_same = key, same
        for key, group in groups.items():
            yield self._dataset(group, key)

    def _dataset(self, rows: list[Row], key: tuple[Any, ...] | None) -> DatasetRecord | SkippedRecord:
        first = rows[0]
        noted: dict[str, list[int]] = {}  # problem -> the rows that have it, so a group reports it once
        repeats: list[tuple[int, int]] = []  # (row, the earlier row it repeats)
        kept: list[Row] = []
        for row in rows:
            digest = row.digest
            if digest in self._seen_rows:
                self.details["repeated_rows"] += 1
                repeats.append((row.number, self._seen_rows[digest]))
                continue
            self._seen_rows[digest] = row.number
            kept.append(row)
            for problem in row.problems:
                noted.setdefault(problem, []).append(row.number)
        if not kept:
            label = self.mapping.text("native_id", first.values) or self.mapping.text("title", first.values)
            return SkippedRecord(label, f"row {repeats[0][0]} repeats row {repeats[0][1]}")
        problems = [f"{_rows(numbers)}: {text}" for text, numbers in noted.items()]
        if repeats:
            problems.append(f"{_rows([r for r, _ in repeats])} repeat{'s' if len(repeats) == 1 else ''} "
                            f"{_rows([e for _, e in repeats])}")
        first = kept[0]
        title = self.mapping.text("title", first.values)
        native_id = self.mapping.text("native_id", first.values)
        if not title:
            return SkippedRecord(native_id, f"row {first.number}: no title")
        from_column = native_id is not None
        if native_id is None:
            owner = self.mapping.text("department", first.values) or self.mapping.text("publisher", first.values)
            parts = [str(p) for p in key if p] if key else [p for p in (owner, title) if p]
            native_id = "/".join(parts)
        if native_id in self._seen_ids:
            earlier = self._seen_ids[native_id]
            if from_column:
                return SkippedRecord(native_id, f"row {first.number}: id already used by row {earlier}")
            problems.append(f"row {first.number}: same title and owner as row {earlier} with other content; "
                            "the file has no id column to tell them apart")
            suffix = 2
            while f"{native_id}#{suffix}" in self._seen_ids:
                suffix += 1
            native_id = f"{native_id}#{suffix}"
        self._seen_ids[native_id] = first.number

        def build() -> DatasetRecord:
            record = self.mapping.record(self.portal_id, native_id, title, first, problems)
            record.distributions = self._distributions(kept, native_id, problems)
            # Without a dataset-level data date, the data changed when its newest file did.
            record.data_modified = record.data_modified or newest_date(d.modified for d in record.distributions)
            record.fields = _merge_fields(record.fields, self._linked_fields(first, native_id))
            record.raw = first.raw if len(kept) == 1 else {"rows": [row.raw for row in kept]}
            return record

        mapped = self.map_or_skip(native_id, build)
        if isinstance(mapped, SkippedRecord):
            mapped.reason = f"row {first.number}: {mapped.reason}"
        return mapped

    def _distributions(self, rows: list[Row], native_id: str, problems: list[str]) -> list[Distribution]:
        found: list[Distribution] = []
        for row in rows:
            found.extend(self.mapping.distributions(row.values, problems))
        spec = self._raw.get("distribution_table")
        if spec:
            mapping = self.linked_mappings["distribution_table"]
            if spec.get("column"):
                items = lookup(rows[0].values, spec["column"])
                items = [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []
            else:
                items = self._linked["distribution_table"].get(self._dataset_key(rows[0], spec, native_id), [])
            found.extend(mapping.linked_distribution(item, problems) for item in items)
        unique: list[Distribution] = []
        for distribution in found:
            if distribution not in unique:
                unique.append(distribution)
        return unique

    def _linked_fields(self, row: Row, native_id: str) -> list[Field]:
        spec = self._raw.get("field_table")
        if not spec:
            return []
        mapping = self.linked_mappings["field_table"]
        if spec.get("column"):
            items = lookup(row.values, spec["column"])
            items = [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []
        else:
            items = self._linked["field_table"].get(self._dataset_key(row, spec, native_id), [])
        return [f for f in (mapping.linked_field(item) for item in items) if f is not None]

    def _dataset_key(self, row: Row, spec: dict[str, Any], native_id: str) -> str:
        if spec.get("dataset_key"):
            value = clean(lookup(row.values, spec["dataset_key"]), self.mapping.placeholders)
            return str(value) if value is not None else ""
        return native_id

    def bookmark(self) -> dict[str, Any]:
        return self._bookmark

    def dimensions(self) -> dict[str, Dimension]:
        return {name: Dimension(available=True, count=d.count, labels=d.labels)
                for name, d in self.tally.dimensions().items()}


def _checked(row: Row) -> Row | SkippedRecord:
    """A row with its content digest (repeats are found by it), or a skip for a row that cannot be stored."""
    if isinstance(row.raw, dict) and len(row.raw) > MAX_COLUMNS:
        return SkippedRecord(None, f"row {row.number}: {len(row.raw):,} keys, more than the {MAX_COLUMNS:,} "
                                   "a catalogue row may have")
    try:
        encoded = orjson.dumps(row.raw, option=orjson.OPT_SORT_KEYS, default=str)
    except TypeError:  # orjson writes at most 254 levels: such a row could not be stored
        return SkippedRecord(None, f"row {row.number}: nested more than 254 levels deep, too deep to store")
    row.digest = hashlib.blake2b(encoded, digest_size=16).digest()
    return row


def _rows(numbers: list[int]) -> str:
    shown = ", ".join(map(str, numbers[:10])) + ("..." if len(numbers) > 10 else "")
    return f"row{'s' if len(numbers) > 1 else ''} {shown}"


def _merge_fields(declared: list[Field], linked: list[Field]) -> list[Field]:
    merged = {f.name: f for f in declared}
    for linked_field in linked:
        merged.setdefault(linked_field.name, linked_field)
    return list(merged.values())
