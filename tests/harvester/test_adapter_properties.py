"""Property tests of every adapter's record mapping: arbitrary native input is a record or a reported skip, never
an exception (hypothesis draws the input; the keys are the ones each family's mapping reads, so it goes deep)."""

from __future__ import annotations

import string
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, FOAF
from rdflib.namespace import DCTERMS as DCT

from harvester.adapters.base import SkippedRecord
from harvester.adapters.catalogue_file import CatalogueFileAdapter
from harvester.adapters.catalogue_file_mapping import Row
from harvester.adapters.ckan import CkanAdapter
from harvester.adapters.datajson import DataJsonAdapter
from harvester.adapters.dcat import DcatAdapter, RdfReader, dataset_subjects
from harvester.adapters.jsonapi import JsonApiAdapter
from harvester.adapters.opendatasoft import OpenDataSoftAdapter
from harvester.adapters.socrata import SocrataAdapter
from harvester.adapters.udata import UDataAdapter
from harvester.http import Http
from harvester.records import DatasetRecord

PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
URL = "https://portal.example.org"

scalars = (st.none() | st.booleans() | st.integers(-10**12, 10**15) | st.floats(allow_nan=True, allow_infinity=True)
           | st.text(max_size=12) | st.sampled_from(["2021-03-04T05:06:07.123456", "2021-13-45", "R/P1D", "暂无",
                                                    "1,234", "", "  ", "monthly", "http://x.org/a", "CSV"]))


def native(keys: list[str]) -> st.SearchStrategy[Any]:
    """JSON values whose objects use the keys a mapping reads (and some others)."""
    key = st.sampled_from(keys) | st.text(string.ascii_letters, max_size=6)
    return st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(key, inner, max_size=6),
                        max_leaves=40)


def objects(keys: list[str]) -> st.SearchStrategy[Any]:
    return st.dictionaries(st.sampled_from(keys), native(keys), max_size=12) | native(keys)


def profile(software: str, **options: Any) -> dict[str, Any]:
    return {"id": "prop", "url": URL, "software": software, "options": options}


def assert_mapped(result: Any) -> None:
    assert isinstance(result, DatasetRecord | SkippedRecord)
    if isinstance(result, SkippedRecord):
        assert result.reason  # a skip always says why
    else:
        result.content_hash()  # and a record can always be stored


CKAN_KEYS = ["id", "name", "title", "notes", "resources", "groups", "organization", "extras", "tags", "key", "value",
             "metadata_created", "metadata_modified", "url", "format", "mimetype", "size", "schema", "fields",
             "tracking_summary", "total", "private", "license_title", "maintainer", "is_api", "url_type",
             "last_modified", "display_name", "update_frequency", "数据项", "datastore_active", "info", "label"]


@PROPERTY
@given(objects(CKAN_KEYS))
def test_ckan_packages(package):
    assert_mapped(CkanAdapter(profile("ckan"), Http()).map_native(package))


SOCRATA_KEYS = ["resource", "id", "name", "classification", "metadata", "domain", "domain_metadata", "key", "value",
                "domain_category", "categories", "tags", "domain_tags", "columns_field_name", "columns_name",
                "columns_datatype", "columns_description", "data_updated_at", "updatedAt", "createdAt",
                "page_views", "page_views_total", "download_count", "type", "permalink", "license", "attribution"]


@PROPERTY
@given(objects(SOCRATA_KEYS))
def test_socrata_results(result):
    assert_mapped(SocrataAdapter(profile("socrata", domain="data.example.org"), Http()).map_native(result))


ODS_KEYS = ["dataset_id", "datasetid", "metas", "default", "dcat", "explore", "interop_metas", "title", "modified",
            "theme", "keyword", "publisher", "fields", "name", "label", "type", "attachments", "url", "mimetype",
            "features", "has_records", "records_count", "download_count", "accrualperiodicity", "temporal"]


@PROPERTY
@given(objects(ODS_KEYS), st.sampled_from(["v2.1", "v1"]))
def test_opendatasoft_entries(item, api):
    assert_mapped(OpenDataSoftAdapter(profile("opendatasoft"), Http()).map_native(item, api=api))


DATAJSON_KEYS = ["identifier", "@id", "title", "description", "distribution", "accessURL", "downloadURL", "format",
                 "mediaType", "formats", "label", "byteSize", "field", "theme", "superTheme", "keyword", "keywords",
                 "publisher", "name", "contactPoint", "fn", "hasEmail", "modified", "issued", "spatial", "temporal",
                 "accrualPeriodicity", "webService", "license", "accessLevel"]


@PROPERTY
@given(objects(DATAJSON_KEYS))
def test_datajson_entries(entry):
    assert_mapped(DataJsonAdapter(profile("datajson"), Http()).map_native(entry))


UDATA_KEYS = ["id", "title", "slug", "organization", "owner", "name", "first_name", "contact_points", "contact_point",
              "email", "frequency", "resources", "url", "format", "mime", "filetype", "latest", "filesize", "metrics",
              "views", "resources_downloads", "last_update", "last_modified", "created_at", "spatial", "zones",
              "granularity", "temporal_coverage", "start", "end", "tags", "page", "license", "private"]


@PROPERTY
@given(objects(UDATA_KEYS))
def test_udata_datasets(dataset):
    assert_mapped(UDataAdapter(profile("udata"), Http()).map_native(dataset))


JSONAPI_FIELDS = {
    "id": "cata_id", "title": ["cata_title", "name"], "department": "org_name", "modified": "update_time",
    "frequency": "cycle", "views": "stats.visits", "keywords": {"path": "tags", "split": ","},
    "categories": [{"dimension": "theme", "path": "groups", "label": "group_name", "code": "group_id"}],
    "fields": {"path": "items", "split": "|"},
    "distributions": {"path": "files", "url": "href", "format": "fmt", "size": "bytes"},
}
JSONAPI_KEYS = ["cata_id", "cata_title", "name", "org_name", "update_time", "cycle", "stats", "visits", "tags", "groups",
                "group_name", "group_id", "items", "files", "href", "fmt", "bytes", "id", "title", "updateTime"]


@PROPERTY
@given(objects(JSONAPI_KEYS), st.booleans())
def test_jsonapi_items(item, profile_fields):
    options: dict[str, Any] = {"request": {"url": "/list?page={page}"},
                               "code_tables": {"frequency": {"1": "每月"}}}
    if profile_fields:
        options["fields"] = JSONAPI_FIELDS
    assert_mapped(JsonApiAdapter(profile("jsonapi", **options), Http()).map_native(item))


def test_counts_and_sizes_beyond_what_a_store_holds_are_problems_not_crashes():
    """A hypothesis find: 浏览 = 99999999999999999999 made orjson refuse the record ("Integer exceeds 64-bit")."""
    adapter = CatalogueFileAdapter(profile("file", source=f"{URL}/c.csv", columns={
        "title": "名称", "views": "浏览", "download_url": "链接", "byte_size": "大小"}), Http())
    row = {"名称": "t", "浏览": "99999999999999999999", "链接": "http://h.example/a.csv", "大小": "1e400 MB"}
    (record,) = list(adapter.datasets_from_rows(iter([Row(2, row, row)])))
    assert record.usage.views is None and record.distributions[0].byte_size is None
    assert any("浏览" in p or "views" in p for p in record.problems)
    record.content_hash()  # and it can be stored


FILE_COLUMNS = ["名称", "部门", "主题", "格式", "链接", "更新", "大小", "浏览", "字段", "info"]


@PROPERTY
@given(st.lists(st.dictionaries(st.sampled_from(FILE_COLUMNS), native(FILE_COLUMNS), max_size=8), max_size=6),
       st.booleans())
def test_catalogue_file_rows(rows, grouped):
    options: dict[str, Any] = {
        "source": f"{URL}/catalogue.csv",
        "columns": {"title": "名称", "department": "部门", "format": {"column": "格式", "separator": ";"},
                    "download_url": {"column": "链接", "separator": ";"}, "modified": "更新", "byte_size": "大小",
                    "views": "浏览", "fields": {"column": "字段", "separator": "|"},
                    "categories": [{"dimension": "theme", "column": ["主题", "info.主题"]}]},
    }
    if grouped:
        options["group_by"] = ["title"]
    adapter = CatalogueFileAdapter(profile("file", **options), Http())
    for item in adapter.datasets_from_rows(iter([Row(n, dict(r), r) for n, r in enumerate(rows, start=2)])):
        assert_mapped(item)


EX = Namespace("http://example.org/")
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
DCAT_PREDICATES = [DCT.title, DCT.identifier, DCT.description, DCAT.distribution, DCT.modified, DCT.issued, DCAT.theme,
                   DCT.publisher, DCT.temporal, DCT.spatial, DCAT.keyword, DCT.accrualPeriodicity, DCAT.contactPoint,
                   DCT.license, DCAT.byteSize, DCAT.accessURL, DCAT.downloadURL, DCT["format"], DCAT.mediaType,
                   DCAT.startDate, DCAT.endDate, FOAF.name, VCARD.fn, VCARD.hasEmail, FOAF.isPrimaryTopicOf,
                   DCAT.landingPage, DCT.accessRights]
nodes = st.sampled_from([EX.d1, EX.d2, EX.x, BNode("b1"), BNode("b2")])
terms = (nodes
         | st.builds(Literal, st.text(max_size=10))
         | st.builds(lambda t, lang: Literal(t, lang=lang), st.text(max_size=10), st.sampled_from(["de", "en", "zh"]))
         | st.builds(lambda t, dt: Literal(t, datatype=dt), st.sampled_from(["2021-01-02", "x", "", "12", "-1"]),
                     st.sampled_from([XSD.date, XSD.dateTime, XSD.integer, XSD.decimal]))
         | st.sampled_from([URIRef("mailto:a@b.org"), URIRef("http://publications.europa.eu/resource/x/MONTHLY")]))


@PROPERTY
@given(st.lists(st.tuples(nodes, st.sampled_from(DCAT_PREDICATES), terms), max_size=25),
       st.sets(nodes, min_size=1, max_size=3))
def test_dcat_graphs(triples, datasets):
    graph = Graph()
    for subject in datasets:
        graph.add((subject, URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"), DCAT.Dataset))
    for triple in triples:
        graph.add(triple)
    adapter = DcatAdapter(profile("dcat"), Http())
    reader = RdfReader(graph, adapter.languages)
    for subject in dataset_subjects(graph):
        assert_mapped(adapter.map_node(reader, subject))
