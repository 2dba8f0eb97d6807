"""DCAT catalogues in RDF replayed on loopback: Zurich's DCAT-AP CH page, French RDF/XML and Turtle records,
Hydra paging across Turtle, RDF/XML and JSON-LD pages, and XML that tries to read local files."""

from __future__ import annotations

from collections import Counter
from functools import cache

import pytest
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS

from harvester.adapters.base import SkippedRecord
from harvester.adapters.dcat import DcatAdapter, RdfReader, UnsafeXml, check_xml, detect_syntax, map_dataset
from harvester.dates import BadDate, parse_date
from harvester.profiles import ProfileError
from harvester.run import run_harvest
from odq.pipeline import make_http
from odq.replay import ReplayCatalogue, ReplayServer
from tests.conftest import real_fixture, replay_profile

ZURICH = "dcat_ap_ch_data.stadt-zuerich.ch"
FRENCH = "dcat_rdf_french_portals_udata_fixtures"
DCAT = Namespace("http://www.w3.org/ns/dcat#")
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
FOAF = Namespace("http://xmlns.com/foaf/0.1/")
ZURICH_PAGE = "https://data.stadt-zuerich.ch/catalog.ttl?page="
# purl.org/cld/freq terms → the ISO 8601 period or class they name (Dublin Core Collection Description).
CLD_FREQ = {"annual": "P1Y", "semiannual": "P6M", "monthly": "P1M", "weekly": "P1W", "daily": "P1D",
            "completelyIrregular": "irregular", "continuous": "continuous"}


def dcat_profile(catalogue_url: str, portal_id: str = "replay-dcat", **options) -> dict:
    return replay_profile(catalogue_url, portal_id, "dcat", options={"catalogue_url": catalogue_url, **options})


def harvest(routes: dict, catalogue_path: str, store, **options):
    with ReplayServer(ReplayCatalogue(packages=[], routes=routes)) as server:
        profile = dcat_profile(f"{server.base}{catalogue_path}", **options)
        result = run_harvest(profile, store, make_http(profile))
        return result, server


def serve(body: bytes, content_type: str):
    return lambda params, _body, _base: (200, body, content_type)


def stored(store, result) -> dict:
    return {r.native_id: r for r in store.records(result.harvest_id)}


@cache
def zurich_bytes() -> bytes:
    return real_fixture(ZURICH, "dcatap-ch_catalog.ttl").read_bytes()


def zurich_graph() -> Graph:
    return Graph().parse(data=zurich_bytes(), format="turtle", publicID=f"{ZURICH_PAGE}1")


def typed_datasets(graph: Graph) -> set:
    return set(graph.subjects(RDF.type, DCAT.Dataset)) | set(graph.subjects(RDF.type, DCAT.DatasetSeries))


def native_id(graph: Graph, subject) -> str:
    identifiers = sorted(str(i).strip() for i in graph.objects(subject, DCTERMS.identifier) if str(i).strip())
    return identifiers[0] if identifiers else str(subject)


def recorded_page_routes(body: bytes, recorded_prefix: str, path: str) -> dict:
    """The recorded first page, its hydra next link pointed at loopback; later pages were not recorded (404)."""

    def route(params, _body, base):
        if params.get("page", "1") != "1":
            return 404, b"not recorded", "text/plain"
        return 200, body.replace(recorded_prefix.encode(), f"{base}{path}?page=".encode()), "text/turtle"

    return {path: route}


# ---------------------------------------------------------------- Zurich (DCAT-AP CH, Turtle)


@pytest.fixture(scope="module")
def zurich(tmp_path_factory):
    from harvester.store import Store

    store = Store(f"sqlite:///{tmp_path_factory.mktemp('zurich') / 'odq.sqlite'}")
    routes = recorded_page_routes(zurich_bytes(), ZURICH_PAGE, "/catalog.ttl")
    result, server = harvest(routes, "/catalog.ttl?page=1", store)
    return {"store": store, "result": result, "graph": zurich_graph(), "records": stored(store, result),
            "requests": server.requests}


def test_zurich_page_harvests_all_100_datasets_and_stops_where_the_recording_ends(zurich):
    graph, result = zurich["graph"], zurich["result"]
    datasets = typed_datasets(graph)
    assert len(datasets) == 100
    assert result.datasets == len(zurich["records"]) == 100
    assert set(zurich["records"]) == {native_id(graph, d) for d in datasets}
    assert result.distributions == sum(len(set(graph.objects(d, DCAT.distribution))) for d in datasets)
    # The page announces 350 datasets over 4 pages; only page 1 was recorded, so page 2 breaks the listing off.
    (total,) = [int(t) for t in graph.objects(None, HYDRA.totalItems)]
    assert result.expected_total == total == 350
    assert result.status == "partial"
    assert any("page 2" in e and "HTTP 404" in e for e in result.errors)
    assert zurich["requests"]["/catalog.ttl"] == 2


def test_zurich_every_declared_frequency_normalises(zurich):
    graph, records = zurich["graph"], zurich["records"]
    declared = {native_id(graph, d): str(next(graph.objects(d, DCTERMS.accrualPeriodicity)))
                for d in typed_datasets(graph)}
    assert len(declared) == 100  # a frequency on every dataset
    expected = {key: CLD_FREQ[uri.rsplit("/", 1)[-1]] for key, uri in declared.items()}
    assert Counter(uri.rsplit("/", 1)[-1] for uri in declared.values()) == {
        "annual": 75, "completelyIrregular": 11, "monthly": 7, "daily": 2, "weekly": 2, "semiannual": 2,
        "continuous": 1,
    }
    assert {key: r.frequency_raw for key, r in records.items()} == declared
    assert {key: r.frequency for key, r in records.items()} == expected
    assert zurich["result"].mapping["frequency"] == 1.0


def test_zurich_mapping_matches_the_turtle(zurich):
    graph, records = zurich["graph"], zurich["records"]
    for subject in typed_datasets(graph):
        record = records[native_id(graph, subject)]
        (title,) = graph.objects(subject, DCTERMS.title)
        assert record.title == str(title).strip()
        (publisher,) = graph.objects(subject, DCTERMS.publisher)
        assert record.publisher == record.department == str(next(graph.objects(publisher, RDFS.label)))
        themes = sorted(str(t).rsplit("/", 1)[-1] for t in graph.objects(subject, DCAT.theme))
        assert sorted(c.label for c in record.categories if c.dimension == "theme") == themes
        keywords = {str(k).strip() for k in graph.objects(subject, DCAT.keyword)}
        assert set(record.keywords) == keywords
        modified = next(graph.objects(subject, DCTERMS.modified), None)
        try:
            assert record.modified == (parse_date(str(modified)) if modified is not None else None)
        except BadDate:  # e.g. dct:modified "jeweils Montags" ("every Monday"): reported, not fatal
            assert record.modified is None and any(p.startswith("modified:") for p in record.problems)
        formats = sorted(str(f) for d in graph.objects(subject, DCAT.distribution)
                         for f in graph.objects(d, DCTERMS["format"]))
        assert sorted(d.format_raw for d in record.distributions if d.format_raw) == formats
        assert record.contact == "Open Data Zürich opendata@zuerich.ch"  # vcard:hasEmail <opendata@zuerich.ch>
        assert record.usage.views is None and record.usage.downloads is None  # not published: unknown
    mapping = zurich["result"].mapping
    assert mapping["title"] == mapping["publisher"] == mapping["categories"] == mapping["distributions"] == 1.0
    assert mapping["fields"] == 0.0  # DCAT-AP CH carries no column documentation


def test_zurich_bookmark_and_incremental_run_lists_everything_again(store):
    graph = zurich_graph()
    newest = max(filter(None, (_readable_date(m) for d in typed_datasets(graph)
                               for m in graph.objects(d, DCTERMS.modified))))
    routes = paged_routes(25, "PartialCollectionView", "turtle", "text/turtle")
    with ReplayServer(ReplayCatalogue(packages=[], routes=routes)) as server:
        profile = dcat_profile(f"{server.base}/catalog?page=1")
        first = run_harvest(profile, store, make_http(profile))
        second = run_harvest(profile, store, make_http(profile), incremental=True)
    assert first.status == second.status == "complete"
    assert store.harvest(first.harvest_id).bookmark == {"modified_since": newest}
    # A dump cannot be filtered server-side: the incremental run lists all 100 again; nothing is new.
    assert second.datasets == 100 and second.new_records == 0
    assert store.harvest(second.harvest_id).info["catalogue"]["incremental_refused"]


def _readable_date(value) -> str | None:
    try:
        return parse_date(str(value))
    except BadDate:
        return None


# ---------------------------------------------------------------- Hydra paging


PLACEHOLDER = "http://replay.invalid"


def describe_into(page: Graph, graph: Graph, node) -> None:
    """A node's triples and those of the blank nodes it points at (its concise bounded description)."""
    for triple in graph.triples((node, None, None)):
        page.add(triple)
        if isinstance(triple[2], BNode):
            describe_into(page, graph, triple[2])


@cache
def split_into_pages(size: int, style: str, syntax: str) -> tuple[bytes, ...]:
    """The Zurich datasets spread over pages linked by hydra next links, as a paging portal would serve them
    (written once per style and syntax against a placeholder host; the route puts in the server's)."""
    graph = zurich_graph()
    datasets = sorted(typed_datasets(graph), key=str)
    catalogue = URIRef("https://data.stadt-zuerich.ch")
    pages = []
    for start in range(0, len(datasets), size):
        number = start // size + 1
        page = Graph()
        page.add((catalogue, RDF.type, DCAT.Catalog))
        for dataset in datasets[start : start + size]:
            page.add((catalogue, DCAT.dataset, dataset))
            describe_into(page, graph, dataset)
            for distribution in graph.objects(dataset, DCAT.distribution):
                describe_into(page, graph, distribution)
        has_next = start + size < len(datasets)
        here = URIRef(f"{PLACEHOLDER}/catalog?page={number}")
        if style == "PagedCollection":  # ckanext-dcat 1.x: next page as a literal
            page.add((here, RDF.type, HYDRA.PagedCollection))
            page.add((here, HYDRA.totalItems, Literal(len(datasets))))
            page.add((here, HYDRA.itemsPerPage, Literal(size)))
            if has_next:
                page.add((here, HYDRA.nextPage, Literal(f"{PLACEHOLDER}/catalog?page={number + 1}")))
        else:  # DCAT-AP 3 / udata: the collection has a view whose next link may be relative
            page.add((catalogue, HYDRA.totalItems, Literal(len(datasets))))
            page.add((catalogue, HYDRA.view, here))
            page.add((here, RDF.type, HYDRA.PartialCollectionView))
            if has_next:
                page.add((here, HYDRA.next, Literal(f"?page={number + 1}")))
        pages.append(page.serialize(format=syntax).encode())
    return tuple(pages)


def paged_routes(size: int, style: str, syntax: str, content_type: str) -> dict:
    def route(params, _body, base):
        page = split_into_pages(size, style, syntax)[int(params.get("page", "1")) - 1]
        return 200, page.replace(PLACEHOLDER.encode(), base.encode()), content_type

    return {"/catalog": route}


PAGINGS = [
    ("turtle", "PagedCollection", "text/turtle"),
    ("turtle", "PartialCollectionView", "text/plain"),  # mislabelled: read from the content
    ("xml", "PartialCollectionView", "application/octet-stream"),
    ("json-ld", "PartialCollectionView", "application/json"),
]


@pytest.mark.parametrize(("syntax", "style", "content_type"), PAGINGS)
def test_hydra_pages_are_followed_until_the_last(store, syntax, style, content_type):
    graph = zurich_graph()
    routes = paged_routes(25, style, syntax, content_type)
    result, server = harvest(routes, "/catalog?page=1", store)
    assert result.status == "complete", result.errors
    assert result.errors_count == 0
    assert result.datasets == 100 and result.expected_total == 100
    assert server.requests["/catalog"] == 4
    records = stored(store, result)
    assert set(records) == {native_id(graph, d) for d in typed_datasets(graph)}
    assert all(r.frequency for r in records.values())
    info = store.harvest(result.harvest_id).info["catalogue"]
    assert info["pages"] == 4 and info["paging"] == f"hydra:{style}"
    assert info["syntax"] == syntax


def test_each_page_is_yielded_before_the_next_is_fetched():
    routes = paged_routes(25, "PartialCollectionView", "turtle", "text/turtle")
    with ReplayServer(ReplayCatalogue(packages=[], routes=routes)) as server:
        profile = dcat_profile(f"{server.base}/catalog?page=1")
        adapter = DcatAdapter(profile, make_http(profile))
        stream = adapter.records()
        first_page = [next(stream) for _ in range(25)]
        assert server.requests["/catalog"] == 1
        rest = list(stream)
        assert server.requests["/catalog"] == 4
    assert len(first_page) + len(rest) == 100


def test_a_page_linking_back_to_itself_ends_the_listing(store):
    body = b"""@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
        @prefix hydra: <http://www.w3.org/ns/hydra/core#> .
        <http://example.org/d1> a dcat:Dataset ; dct:title "one" .
        <http://example.org/view> a hydra:PartialCollectionView ; hydra:next "?page=1" ."""
    result, server = harvest({"/catalog": serve(body, "text/turtle")}, "/catalog?page=1", store)
    assert result.status == "complete" and result.datasets == 1
    assert server.requests["/catalog"] == 1


# ---------------------------------------------------------------- the French RDF records (udata harvester fixtures)

FRENCH_RDF = ["udata.xml", "datara--5a26b0f6-0ccf-46ad-ac58-734054b91977.rdf.xml",
              "datara--f40c3860-7236-4b30-a141-23b8ae33f7b2.rdf.xml", "geonetwork.xml", "series.xml", "sig.oreme.rdf"]
FRENCH_CSW = ["csw_geonetwork-dcat-page-1.xml", "csw_geonetwork-dcat-page-3.xml", "csw_geonetwork-dcat-page-5.xml",
              "csw_geonetwork-geodcatap-page-1.xml", "csw_geonetwork-iso19139-page-1.xml",
              "csw_geoplateforme-iso19139-IGNF_RPG.xml"]


@pytest.mark.parametrize("name", FRENCH_RDF)
def test_french_rdf_xml_records_harvest(store, name):
    body = real_fixture(FRENCH, name).read_bytes()
    graph = Graph().parse(data=body, format="xml", publicID="http://127.0.0.1/catalog.rdf")
    datasets = typed_datasets(graph)
    dangling = {o for o in graph.objects(None, DCAT.dataset) if not any(graph.predicate_objects(o))}
    result, _server = harvest({"/catalog.rdf": serve(body, "application/rdf+xml")}, "/catalog.rdf", store)
    assert result.status == "complete"
    assert set(stored(store, result)) == {native_id(graph, d) for d in datasets}
    assert result.datasets == len(datasets) >= 1
    # A catalogue entry pointing at a dataset the document never describes is reported, not invented.
    assert result.errors_count == len(dangling)
    assert all("not described" in e for e in result.errors)


@pytest.mark.parametrize("name", ["series.xml", "datara--5a26b0f6-0ccf-46ad-ac58-734054b91977.rdf.xml"])
def test_an_unchanged_document_hashes_the_same_despite_blank_nodes(store, name):
    body = real_fixture(FRENCH, name).read_bytes()
    first, _server = harvest({"/c.rdf": serve(body, "application/rdf+xml")}, "/c.rdf", store)
    second, _server = harvest({"/c.rdf": serve(body, "application/rdf+xml")}, "/c.rdf", store)
    assert first.new_records == first.datasets == 1
    assert second.new_records == 0  # blank-node ids differ between parses; the stored record must not


def test_french_series_record_maps_dcat_ap_details(store):
    body = real_fixture(FRENCH, "series.xml").read_bytes()
    result, _server = harvest({"/s.rdf": serve(body, "application/rdf+xml")}, "/s.rdf", store)
    (record,) = stored(store, result).values()
    graph = Graph().parse(data=body, format="xml")
    (subject,) = typed_datasets(graph)  # typed both dcat:Dataset and dcat:DatasetSeries: one dataset
    (period,) = graph.objects(subject, DCTERMS.temporal)
    start, end = (parse_date(str(next(graph.objects(period, DCAT[p])))) for p in ("startDate", "endDate"))
    assert record.temporal == f"{start}/{end}"
    assert record.frequency_raw == str(next(graph.objects(subject, DCTERMS.accrualPeriodicity)))
    assert record.frequency == "irregular"  # EU AS_NEEDED
    assert [c.label for c in record.categories if c.dimension == "theme"] == ["Environnement"]
    assert record.contact == "Cordier remy.cordier@ifremer.fr"
    assert len(record.distributions) == 2 and all(d.is_api for d in record.distributions)  # dcat:accessService
    assert record.raw is None  # store.records without raw; the audit copy is checked below
    (with_raw,) = store.records(result.harvest_id, with_raw=True)
    assert with_raw.raw["dct:identifier"] == record.native_id
    assert "_:" not in str(with_raw.raw)  # no blank-node ids: they would change the hash on every harvest


def test_udata_export_reads_publisher_names_and_media_types(store):
    body = real_fixture(FRENCH, "udata.xml").read_bytes()
    result, _server = harvest({"/u.rdf": serve(body, "application/rdf+xml")}, "/u.rdf", store)
    graph = Graph().parse(data=body, format="xml")
    records = stored(store, result)
    assert result.expected_total == int(next(graph.objects(None, HYDRA.totalItems))) == 2
    for subject in typed_datasets(graph):
        record = records[native_id(graph, subject)]
        (publisher,) = graph.objects(subject, DCTERMS.publisher)
        assert record.publisher == str(next(graph.objects(publisher, Namespace("http://www.w3.org/2006/vcard/ns#").fn)))
        media = sorted(str(m) for d in graph.objects(subject, DCAT.distribution) for m in graph.objects(d, DCAT.mediaType))
        assert sorted(d.media_type for d in record.distributions) == media


@pytest.mark.parametrize("name", FRENCH_CSW)
def test_csw_responses_are_not_dcat_and_say_so(store, name):
    body = real_fixture(FRENCH, name).read_bytes()
    result, _server = harvest({"/csw": serve(body, "application/xml")}, "/csw", store)
    assert result.status == "failed" and result.datasets == 0
    (error,) = result.errors
    assert "CSW GetRecords response" in error and "not a DCAT document" in error


def test_demo_ckan_org_catalogue_page(store):
    body = real_fixture(FRENCH, "demo.ckan.org_catalog_2016.ttl").read_bytes()
    graph = Graph().parse(data=body, format="turtle")
    routes = recorded_page_routes(body, "http://demo.ckan.org/catalog.ttl?page=", "/catalog.ttl")
    result, server = harvest(routes, "/catalog.ttl?page=1", store)
    datasets = typed_datasets(graph)
    records = stored(store, result)
    assert result.datasets == len(datasets) == 100
    assert result.expected_total == int(next(graph.objects(None, HYDRA.totalItems))) == 2561
    assert result.status == "partial" and server.requests["/catalog.ttl"] == 2  # page 2 was not recorded
    declared = {native_id(graph, d): str(f) for d in datasets for f in graph.objects(d, DCTERMS.accrualPeriodicity)}
    assert sorted(declared.values()) == ["天天", "每年"]
    assert {k: records[k].frequency for k in declared} == {k: {"天天": "P1D", "每年": "P1Y"}[v] for k, v in declared.items()}
    # Publishers are organisations described elsewhere on the page by foaf:name.
    for subject in datasets:
        for publisher in graph.objects(subject, DCTERMS.publisher):
            name = next(graph.objects(publisher, FOAF.name), None)
            assert records[native_id(graph, subject)].publisher == str(name or publisher)


# ---------------------------------------------------------------- untrusted XML and JSON-LD


def _xxe_document(doctype: str) -> bytes:
    return f"""<?xml version="1.0"?>
<!DOCTYPE rdf:RDF [{doctype}]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:dcat="http://www.w3.org/ns/dcat#"
         xmlns:dct="http://purl.org/dc/terms/">
  <dcat:Dataset rdf:about="http://example.org/d1"><dct:title>&xxe;</dct:title></dcat:Dataset>
</rdf:RDF>""".encode()


def test_rdf_xml_with_an_external_entity_never_reads_the_local_file(store, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-XXE-MARKER", encoding="utf-8")
    body = _xxe_document(f'<!ENTITY xxe SYSTEM "{secret.as_uri()}">')
    result, _server = harvest({"/x.rdf": serve(body, "application/rdf+xml")}, "/x.rdf", store)
    assert result.status == "failed" and result.datasets == 0
    assert "refused unread" in result.errors[0]
    assert "TOP-SECRET" not in str(store.harvest(result.harvest_id).info)
    assert list(store.records(result.harvest_id, with_raw=True)) == []


def test_rdf_xml_with_an_external_parameter_entity_fetches_nothing(store):
    routes = {"/evil.dtd": serve(b'<!ENTITY xxe "pwned">', "application/xml-dtd")}

    def document(params, _body, base):
        return 200, _xxe_document(f'<!ENTITY % remote SYSTEM "{base}/evil.dtd"> %remote;'), "application/rdf+xml"

    routes["/x.rdf"] = document
    result, server = harvest(routes, "/x.rdf", store)
    assert result.status == "failed"
    assert server.requests["/evil.dtd"] == 0


def test_rdf_xml_with_an_external_dtd_fetches_nothing(store):
    routes = {"/evil.dtd": serve(b'<!ENTITY xxe "pwned">', "application/xml-dtd")}

    def document(params, _body, base):
        body = _xxe_document("").replace(b"<!DOCTYPE rdf:RDF []>", f'<!DOCTYPE rdf:RDF SYSTEM "{base}/evil.dtd">'.encode())
        return 200, body, "application/rdf+xml"

    routes["/x.rdf"] = document
    result, server = harvest(routes, "/x.rdf", store)
    assert result.status == "failed" and "refused unread" in result.errors[0]
    assert server.requests["/evil.dtd"] == 0


def test_an_unknown_syntax_option_is_a_profile_error():
    with pytest.raises(ProfileError, match="options.format"):
        DcatAdapter(dcat_profile("http://127.0.0.1/c", format="rdfa"), make_http())


def test_check_xml_refuses_entity_declarations_and_names_the_root():
    with pytest.raises(UnsafeXml):
        check_xml(b'<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]><r>&b;</r>')
    assert check_xml(b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>') == (
        "http://www.w3.org/1999/02/22-rdf-syntax-ns#", "RDF")


def test_remote_json_ld_contexts_come_through_the_guarded_client(store, monkeypatch):
    import rdflib.parser

    def no_direct_fetch(*args, **kwargs):
        raise AssertionError("rdflib must not open URLs itself")

    monkeypatch.setattr(rdflib.parser, "_urlopen", no_direct_fetch)
    context = {"@context": {"dcat": "http://www.w3.org/ns/dcat#", "dct": "http://purl.org/dc/terms/",
                            "title": "dct:title", "identifier": "dct:identifier"}}

    def document(params, _body, base):
        import orjson

        return 200, orjson.dumps({"@context": f"{base}/context.jsonld", "@graph": [
            {"@id": "http://example.org/d1", "@type": "dcat:Dataset", "title": "Remote context", "identifier": "d1"},
        ]}), "application/ld+json"

    import orjson

    routes = {"/catalog.jsonld": document, "/context.jsonld": serve(orjson.dumps(context), "application/ld+json")}
    result, server = harvest(routes, "/catalog.jsonld", store)
    assert result.status == "complete", result.errors
    assert stored(store, result)["d1"].title == "Remote context"
    assert server.requests["/context.jsonld"] == 1


def test_a_json_ld_context_pointing_at_a_local_file_is_refused(store):
    body = b'{"@context": "file:///etc/passwd", "@id": "http://example.org/d1", "@type": "http://www.w3.org/ns/dcat#Dataset"}'
    result, _server = harvest({"/c.jsonld": serve(body, "application/ld+json")}, "/c.jsonld", store)
    assert result.status == "failed"
    assert "context" in result.errors[0]


def test_an_html_page_is_not_a_catalogue(store):
    body = b"<!DOCTYPE html><html><body>Please log in</body></html>"
    result, _server = harvest({"/catalog": serve(body, "text/html; charset=utf-8")}, "/catalog", store)
    assert result.status == "failed"
    assert "is not RDF" in result.errors[0]


def test_broken_datasets_are_skipped_and_bad_dates_reported(store):
    body = b"""@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
        [] a dcat:Dataset ; dct:title "a blank node without an identifier" .
        <http://example.org/d2> a dcat:Dataset ; dct:title "fine" ; dct:issued "2913-13-45" ;
            dcat:distribution [ dcat:downloadURL <http://example.org/d2.csv> ; dcat:byteSize "big" ] ."""
    result, _server = harvest({"/c.ttl": serve(body, "text/turtle")}, "/c.ttl", store)
    assert result.status == "complete"
    assert result.datasets == 1 and result.errors_count == 1
    assert "blank node" in result.errors[0]
    record = stored(store, result)["http://example.org/d2"]
    assert record.issued is None and any(p.startswith("issued:") for p in record.problems)
    assert any(p.startswith("byteSize:") for p in record.problems)
    assert record.distributions[0].format == "CSV"  # from the URL's extension


# ---------------------------------------------------------------- small units


@pytest.mark.parametrize(("content_type", "body", "syntax"), [
    ("text/turtle; charset=utf-8", b"@prefix dcat: <x#> .", "turtle"),
    ("text/plain", b"\xef\xbb\xbf@prefix dcat: <x#> .", "turtle"),
    ("application/octet-stream", b"<http://example.org/a> a <http://example.org/B> .", "turtle"),
    ("application/octet-stream", b'<?xml version="1.0"?><rdf:RDF/>', "xml"),
    ("", b"  <rdf:RDF xmlns:rdf='x'/>", "xml"),
    ("application/json", b'{"@context": {}}', "json-ld"),
    ("application/json", b"@prefix x: <y#> .", "turtle"),
    ("application/ld+json", b"[]", "json-ld"),
    ("text/html", b"<html></html>", None),
    ("text/plain", b"hello", None),
])
def test_detect_syntax(content_type, body, syntax):
    assert detect_syntax(content_type, body) == syntax


def test_title_language_follows_the_profile_preference():
    graph = Graph().parse(format="turtle", data="""
        @prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
        <http://example.org/d> a dcat:Dataset ; dct:title "Titel"@de, "Title"@en, "Titre"@fr ;
            dcat:keyword "Bahn"@de, "rail"@en, "train"@fr .""")
    subject = URIRef("http://example.org/d")
    default = map_dataset(RdfReader(graph), subject, "p")
    french = map_dataset(RdfReader(graph, ["fr"]), subject, "p")
    assert (default.title, default.keywords) == ("Titel", ["Bahn"])
    assert (french.title, french.keywords) == ("Titre", ["train"])


def test_skipped_record_for_a_dataset_only_listed_by_the_catalogue():
    graph = Graph().parse(format="turtle", data="""
        @prefix dcat: <http://www.w3.org/ns/dcat#> .
        <http://example.org/cat> a dcat:Catalog ; dcat:dataset <http://example.org/gone> .""")
    adapter_records = list(_records_of(graph))
    assert len(adapter_records) == 1 and isinstance(adapter_records[0], SkippedRecord)


def _records_of(graph: Graph):
    body = graph.serialize(format="turtle").encode()
    with ReplayServer(ReplayCatalogue(packages=[], routes={"/c.ttl": serve(body, "text/turtle")})) as server:
        profile = dcat_profile(f"{server.base}/c.ttl")
        yield from DcatAdapter(profile, make_http(profile)).records()
