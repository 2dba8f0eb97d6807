"""Hostile catalogue files: very wide CSVs, very deep JSON, very long lines. Each is read in linear time or refused
with a clear message; the inputs are built here, and every test finishes in well under a few seconds."""

from __future__ import annotations

import pytest

from harvester.adapters.base import HarvestAborted, SkippedRecord
from harvester.adapters.catalogue_file import CatalogueFileAdapter
from harvester.adapters.datajson import DataJsonAdapter
from harvester.http import Response
from harvester.records import DatasetRecord

URL = "https://portal.example.org"


class OneFile:
    """An Http stand-in that serves one body for every URL (nothing leaves the process)."""

    def __init__(self, body: bytes) -> None:
        self.body = body

    def get(self, url: str, **_kwargs) -> Response:
        return Response(url=url, status=200, headers={}, body=self.body, elapsed=0.0)


CAP = 10_000  # columns a catalogue file may have (the error messages below say so too)


def file_adapter(body: bytes, **options) -> CatalogueFileAdapter:
    profile = {"id": "limits", "url": URL, "software": "file",
               "options": {"source": f"{URL}/c", "columns": {"title": "名称", "description": "说明"}, **options}}
    return CatalogueFileAdapter(profile, OneFile(body))  # type: ignore[arg-type]


def test_a_csv_with_200000_columns_is_refused_with_a_reason():
    columns = 200_000
    body = (",".join(f"c{i}" for i in range(columns)) + "\n" + "," * (columns - 1) + "\n").encode()
    assert len(body) > 1_200_000
    with pytest.raises(HarvestAborted) as caught:
        list(file_adapter(body).records())
    assert str(caught.value) == ("the header (row 1) has 200,000 columns; odq reads catalogue files of at most "
                                 "10,000 columns (a catalogue has tens): refused unread")


def test_a_csv_as_wide_as_allowed_is_read_and_repeated_labels_stay_apart():
    width = CAP
    header = ["名称", "说明", *["x"] * (width - 2)]  # 9,998 columns with one label
    row = ["Air quality", "hourly readings", *[""] * (width - 2)]
    body = (",".join(header) + "\n" + ",".join(row) + "\n").encode()
    adapter = file_adapter(body)
    listed = list(adapter.records())
    assert [(r.title, r.description) for r in listed] == [("Air quality", "hourly readings")]
    labels = list(listed[0].raw)
    assert len(labels) == width and len(set(labels)) == width
    assert labels[2:5] == ["x", "x (2)", "x (3)"] and labels[-1] == f"x ({width - 2})"


def test_a_headerless_row_wider_than_the_cap_is_refused():
    body = ("a," * (CAP + 5)).encode()  # and an empty cell after the last comma
    with pytest.raises(HarvestAborted, match=r"row 1 has 10,006 columns"):
        list(file_adapter(body, header_row=0, columns={"title": "1"}).records())


def test_a_very_long_line_is_one_description():
    description = "长" * 2_000_000
    body = f"名称,说明\nLong,{description}\n".encode()
    (record,) = list(file_adapter(body).records())
    assert isinstance(record, DatasetRecord) and len(record.description) == 2_000_000


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def test_a_json_document_nested_100000_deep_is_refused_in_plain_words():
    body = ('{"dataset": ' + nested(100_000) + "}").encode()
    with pytest.raises(HarvestAborted) as caught:
        list(file_adapter(body, format="json").records())
    assert str(caught.value) == "the JSON catalogue file is nested more than 1024 levels deep: refused unread"


def test_concatenated_json_objects_nested_too_deep_are_refused_in_plain_words():
    body = ('{"名称": "one"}\n{"名称": ' + nested(100_000) + "}").encode()
    with pytest.raises(HarvestAborted) as caught:
        list(file_adapter(body, format="json").records())
    assert "nested more than 1024 levels deep" in str(caught.value) and "recursion" not in str(caught.value).lower()


def test_json_lines_nested_too_deep_are_skipped_by_row_and_the_rest_read():
    body = "\n".join(['{"名称": "one"}', '{"名称": ' + nested(100_000) + "}", '{"名称": "two", "x": ' + nested(300) + "}",
                      '{"名称": "three"}']).encode()
    listed = list(file_adapter(body, format="jsonl").records())
    assert [r.title for r in listed if isinstance(r, DatasetRecord)] == ["one", "three"]
    skips = [r.reason for r in listed if isinstance(r, SkippedRecord)]
    assert skips == ["row 2: the line is nested more than 1024 levels deep: refused unread",
                     "row 3: nested more than 254 levels deep, too deep to store"]


def test_a_json_row_with_more_keys_than_the_cap_is_skipped():
    keys = ", ".join(f'"k{i}": 1' for i in range(CAP + 1))
    body = ('[{"名称": "one"}, {"名称": "wide", ' + keys + "}]").encode()
    listed = list(file_adapter(body, format="json").records())
    assert [r.title for r in listed if isinstance(r, DatasetRecord)] == ["one"]
    (skip,) = [r for r in listed if isinstance(r, SkippedRecord)]
    assert skip.reason == "row 2: 10,002 keys, more than the 10,000 a catalogue row may have"


def test_a_data_json_nested_too_deep_is_refused_in_plain_words():
    profile = {"id": "deep", "url": URL, "software": "datajson"}
    adapter = DataJsonAdapter(profile, OneFile(('{"dataset": ' + nested(5_000) + "}").encode()))  # type: ignore[arg-type]
    with pytest.raises(HarvestAborted) as caught:
        list(adapter.records())
    assert str(caught.value) == f"the data.json at {URL}/data.json is nested more than 1024 levels deep: refused unread"


def test_a_zipped_catalogue_is_refused_naming_what_it_is():
    import io
    import zipfile

    from harvester.adapters.base import HarvestAborted
    from harvester.adapters.catalogue_file import sniff_format

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("catalogue.csv", "title\nA\n")
    with pytest.raises(HarvestAborted, match="is a ZIP file"):
        sniff_format(buffer.getvalue())
