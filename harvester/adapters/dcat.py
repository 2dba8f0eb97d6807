"""DCAT catalogues in RDF (Turtle, RDF/XML, JSON-LD) read with rdflib, following Hydra pages one at a time."""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import urljoin
from xml.sax import SAXException, xmlreader  # parsing itself goes through defusedxml
from xml.sax.handler import ContentHandler, feature_namespaces

import defusedxml.sax
import orjson
from defusedxml import DefusedXmlException
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.term import Node

from harvester.adapters.base import Adapter, CatalogueTally, HarvestAborted, SkippedRecord, Unmappable
from harvester.adapters.options import option
from harvester.adapters.values import as_int, too_deep, too_deep_message
from harvester.dates import BadDate, parse_date
from harvester.http import FetchError, Http
from harvester.records import Category, DatasetRecord, Distribution, newest_date
from harvester.vocab import format_info, normalise_format, normalise_frequency

RDF = Namespace("http://www.w3.org/1999/02/22-rdf-syntax-ns#")
RDFS = Namespace("http://www.w3.org/2000/01/rdf-schema#")
DCAT = Namespace("http://www.w3.org/ns/dcat#")
DCT = Namespace("http://purl.org/dc/terms/")
FOAF = Namespace("http://xmlns.com/foaf/0.1/")
SKOS = Namespace("http://www.w3.org/2004/02/skos/core#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
LOCN = Namespace("http://www.w3.org/ns/locn#")
TIME = Namespace("http://www.w3.org/2006/time#")
SCHEMA_HTTP = Namespace("http://schema.org/")  # ckanext-dcat writes schema:startDate with http
SCHEMA_HTTPS = Namespace("https://schema.org/")
ORG = Namespace("http://www.w3.org/ns/org#")

DEFAULT_LANGUAGES = ("de", "en", "fr", "zh")
DATASET_TYPES = (DCAT.Dataset, DCAT.DatasetSeries)
MAX_PAGES = 10_000
MAX_CONTEXTS = 10  # remote JSON-LD contexts fetched per page, nested ones included
DESCRIBE_DEPTH = 3  # how far the audit copy of a dataset follows nested nodes

ACCEPT = {
    "turtle": "text/turtle",
    "xml": "application/rdf+xml",
    "json-ld": "application/ld+json",
    "nt": "application/n-triples",
    "n3": "text/n3",
}
ACCEPT_ANY = "text/turtle, application/rdf+xml;q=0.9, application/ld+json;q=0.8, */*;q=0.1"
SYNTAX_BY_CONTENT_TYPE = {
    "text/turtle": "turtle",
    "application/x-turtle": "turtle",
    "application/turtle": "turtle",
    "text/n3": "n3",
    "text/rdf+n3": "n3",
    "application/n-triples": "nt",
    "application/rdf+xml": "xml",
    "application/xml": "xml",
    "text/xml": "xml",
    "application/ld+json": "json-ld",
    "application/json": "json-ld",
}

_XML_START = re.compile(rb"^<(\?xml|!|[A-Za-z_][\w.-]*(:[\w.-]+)?[\s/>])")
_IRI_START = re.compile(rb"^<[A-Za-z][A-Za-z0-9+.-]*:[^\s>]*>")
_IANA_MEDIA_TYPE = re.compile(r"^https?://www\.iana\.org/assignments/media-types/(.+)$")

CSW_NS = "http://www.opengis.net/cat/csw/2.0.2"
NOT_DCAT_ROOTS = {
    (CSW_NS, "GetRecordsResponse"): "an OGC CSW GetRecords response (a geo-catalogue service), not a DCAT "
                                     "document; harvest it with a CSW harvester",
    (CSW_NS, "GetRecordByIdResponse"): "an OGC CSW GetRecordById response, not a DCAT document",
    ("http://www.isotc211.org/2005/gmd", "MD_Metadata"): "ISO 19139 geographic metadata, not DCAT",
    ("http://www.w3.org/1999/xhtml", "html"): "an HTML page, not a DCAT document",
    ("", "html"): "an HTML page, not a DCAT document",
}

# Prefixes for the audit copy: fixed here, so the copy (and its content hash) never depends on how a
# portal happens to name its prefixes.
PREFIXES = {
    str(RDF): "rdf", str(RDFS): "rdfs", str(DCAT): "dcat", str(DCT): "dct", str(FOAF): "foaf",
    str(SKOS): "skos", str(VCARD): "vcard", str(HYDRA): "hydra", str(LOCN): "locn", str(TIME): "time",
    str(SCHEMA_HTTP): "schema", str(ORG): "org", "http://www.w3.org/ns/adms#": "adms",
    "http://www.w3.org/2002/07/owl#": "owl", "http://www.w3.org/ns/prov#": "prov",
    "http://data.europa.eu/930/": "geodcatap", "http://data.europa.eu/r5r/": "dcatap",
    "http://spdx.org/rdf/terms#": "spdx", "http://www.w3.org/ns/dqv#": "dqv",
    "http://www.w3.org/2011/content#": "cnt", "http://www.w3.org/2001/XMLSchema#": "xsd",
}




class _QuietLiteralWarnings(logging.Filter):
    """rdflib logs a traceback for every literal whose lexical form does not fit its datatype (an empty
    xsd:date); odq reads lexical forms itself and reports bad dates as record problems instead."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("Failed to convert Literal lexical form")


logging.getLogger("rdflib.term").addFilter(_QuietLiteralWarnings())


class UnsafeXml(ValueError):
    """An XML document that declares entities or references external resources: refused unread."""


@dataclass(frozen=True)
class DcatOptions:
    catalogue_url: str | None = option(None)  # the catalogue document, when it is not the profile's api_url or url
    format: str | None = option(None, choices=tuple(ACCEPT))  # force one syntax when a server mislabels it
    languages: tuple[str, ...] = option(DEFAULT_LANGUAGES)  # preferred literal languages, in order
    max_pages: int = option(MAX_PAGES, minimum=1)


class DcatAdapter(Adapter):
    family: ClassVar[str] = "dcat"
    Options: ClassVar[type] = DcatOptions

    def __init__(self, profile: dict[str, Any], http: Http) -> None:
        super().__init__(profile, http)
        self.options: DcatOptions
        self.catalogue_url: str = self.options.catalogue_url or profile.get("api_url") or profile["url"]
        self.syntax: str | None = self.options.format
        self.languages = tuple(x.lower() for x in self.options.languages)
        # A catalogue dump says nothing about the portal's own search or filters: unknown, not "no".
        self.listing = "dcat"
        self.details["pages"] = 0

    # -- the stream ------------------------------------------------------------------------------
    def records(self, since: dict[str, Any] | None = None) -> Iterator[DatasetRecord | SkippedRecord]:
        # A DCAT dump cannot be asked for "what changed since": every run lists the whole catalogue, and
        # the harvest run stores unchanged datasets once, by content hash. The bookmark is kept anyway.
        if since and since.get("modified_since"):
            self.tally = CatalogueTally(since)
            self.details["incremental_refused"] = "a DCAT catalogue dump cannot be filtered by modification date"
        url: str | None = self.catalogue_url
        pager = self.paginator(max_pages=self.options.max_pages)
        while url is not None:
            if not pager.begin(url):
                if pager.pages and self.expected_total is not None and pager.listed >= self.expected_total:
                    # A last page pointing back, once every announced dataset is listed: the end was reached.
                    self.partial_reason = None
                    self.details["paging_loop_at"] = url
                return
            page_number, page_url = pager.pages, url
            graph, syntax, final_url = self._page(url, page_number)
            self.details["pages"] = page_number
            self.details.setdefault("syntax", syntax)
            datasets = dataset_subjects(graph)
            paging = hydra_paging(graph, final_url)  # relative links resolve against where the page really was
            if page_number == 1:
                self._first_page(graph, datasets, paging, url)
            reader = RdfReader(graph, self.languages)
            for subject in datasets:
                if pager.is_new(_subject_id(reader, subject), str(subject)):
                    yield self.map_node(reader, subject)
            if not pager.progressed():
                return
            url = paging.get("next")
            if url in (page_url, final_url):  # a last page naming itself as next: the end, not a loop
                self.details["paging_loop_at"] = url
                return

    def _page(self, url: str, page_number: int) -> tuple[Graph, str, str]:
        """(graph, syntax, URL after redirects) of one catalogue page; HarvestAborted when it cannot be read."""
        where = f"page {page_number} of the catalogue ({url})"
        try:
            response = self.http.get(url, headers={"Accept": ACCEPT[self.syntax] if self.syntax else ACCEPT_ANY})
        except FetchError as exc:
            raise HarvestAborted(f"{where} could not be fetched: {exc.reason}") from exc
        if not response.ok:
            raise HarvestAborted(f"{where} answered HTTP {response.status}")
        syntax = self.syntax or detect_syntax(response.content_type, response.body)
        if syntax is None:
            raise HarvestAborted(f"{where} is not RDF (Content-Type {response.content_type or 'missing'})")
        try:
            graph = parse_rdf(response.body, syntax, response.url, self._context_fetcher())
        except UnsafeXml as exc:
            raise HarvestAborted(f"{where} was refused unread: {exc}") from exc
        except NotDcat as exc:
            raise HarvestAborted(f"{where} is {exc}") from exc
        except Exception as exc:  # rdflib's parsers raise many exception types on malformed input
            if too_deep(exc):
                raise HarvestAborted(too_deep_message(where)) from exc
            raise HarvestAborted(f"{where} is not readable as {syntax}: {type(exc).__name__}: {_brief(exc)}") from exc
        return graph, syntax, response.url

    def _context_fetcher(self) -> Callable[[str], Any]:
        """Remote JSON-LD contexts come through Http (guarded, polite), never through rdflib's urlopen."""
        cache: dict[str, Any] = {}

        def fetch(url: str) -> Any:
            if url not in cache:
                if len(cache) >= MAX_CONTEXTS:
                    raise NotDcat(f"a JSON-LD document referring to more than {MAX_CONTEXTS} remote contexts")
                try:
                    document = self.http.get_json(url, headers={"Accept": "application/ld+json, application/json"})
                except FetchError as exc:
                    raise NotDcat(f"JSON-LD whose context {url} could not be fetched ({exc.reason})") from exc
                if not isinstance(document, dict) or "@context" not in document:
                    raise NotDcat(f"JSON-LD whose context {url} holds no @context")
                cache[url] = document["@context"]
            return cache[url]

        return fetch

    def _first_page(self, graph: Graph, datasets: list[Node], paging: dict[str, Any], url: str) -> None:
        catalogues = sorted(set(graph.subjects(RDF.type, DCAT.Catalog)), key=str)
        if not datasets and not catalogues:
            raise HarvestAborted(f"{url} is not a DCAT catalogue: it holds no dcat:Catalog and no dcat:Dataset")
        self.details["paged"] = bool(paging.get("next") or paging.get("style"))
        if paging.get("style"):
            self.details["paging"] = paging["style"]
        if paging.get("items_per_page"):
            self.details["page_size"] = paging["items_per_page"]
        if paging.get("total") is not None:
            self.expected_total = paging["total"]
        elif not paging.get("next"):
            self.expected_total = len(datasets)  # one unpaged document: what it lists is the catalogue
        if catalogues:
            reader = RdfReader(graph, self.languages)
            self.details["catalogue_title"] = reader.text(catalogues[0], DCT.title)
            self.details["theme_taxonomies"] = sorted(str(t) for t in graph.objects(catalogues[0], DCAT.themeTaxonomy))

    def map_node(self, reader: RdfReader, subject: Node) -> DatasetRecord | SkippedRecord:
        """One dataset node of a page's graph → a record, or a reported skip."""
        native = str(subject) if isinstance(subject, URIRef) else None
        return self.map_or_skip(native, lambda: map_dataset(reader, subject, self.portal_id))


def _subject_id(reader: RdfReader, subject: Node) -> str | None:
    """The id map_dataset gives a dataset node (dct:identifier, else its IRI), to list each dataset once."""
    try:
        identifier = reader.text(subject, DCT.identifier)
    except Exception:  # a malformed node is left to map_dataset, which reports it
        return None
    return identifier or (str(subject) if isinstance(subject, URIRef) else None)


def _brief(exc: Exception) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= 300 else text[:299] + "…"


class NotDcat(ValueError):
    """A document that is something other than a DCAT catalogue (CSW, ISO 19139, HTML...)."""


class UnmappableDataset(Unmappable):
    """A dataset node that cannot become a record (no stable id, not described)."""


# -- reading RDF safely ----------------------------------------------------------------------------
def detect_syntax(content_type: str, body: bytes) -> str | None:
    """The rdflib syntax of a body: a specific Content-Type is trusted, a generic one is checked against
    how the content starts (servers label Turtle text/plain and RDF/XML application/octet-stream)."""
    media_type = (content_type or "").split(";")[0].strip().lower()
    if media_type in ("text/html", "application/xhtml+xml"):
        return None
    head = body[:512].lstrip(b"\xef\xbb\xbf \t\r\n")
    declared = SYNTAX_BY_CONTENT_TYPE.get(media_type)
    if declared is not None and (media_type != "application/json" or head.startswith((b"{", b"["))):
        return declared
    if head.startswith((b"{", b"[")):
        return "json-ld"
    if _XML_START.match(head) and not _IRI_START.match(head):
        return "xml"
    turtle_starts = (b"@prefix", b"prefix", b"@base", b"base", b"#", b"_:")
    if head.lower().startswith(turtle_starts) or _IRI_START.match(head):
        return "turtle"
    return None


def parse_rdf(body: bytes, syntax: str, base: str, fetch_context: Callable[[str], Any]) -> Graph:
    """A graph from bytes already fetched; nothing in here opens a URL or a file."""
    graph = Graph()
    if syntax == "xml":
        root = check_xml(body)
        reason = NOT_DCAT_ROOTS.get(root) or NOT_DCAT_ROOTS.get(("", root[1].lower()))
        if reason:
            raise NotDcat(reason)
        graph.parse(data=body, format="xml", publicID=base)
    elif syntax == "json-ld":
        document = orjson.loads(body.lstrip(b"\xef\xbb\xbf"))
        document = inline_contexts(document, fetch_context, base)
        graph.parse(data=orjson.dumps(document).decode(), format="json-ld", publicID=base)
    else:
        graph.parse(data=body, format=syntax, publicID=base)
    return graph


class _FirstElement(ContentHandler):
    def __init__(self) -> None:
        super().__init__()
        self.name: tuple[str, str] | None = None

    def startElementNS(self, name: tuple[str | None, str], qname: str | None, attrs: Any) -> None:
        self.name = (name[0] or "", name[1])
        raise _Found


class _Found(Exception):
    pass


def check_xml(body: bytes) -> tuple[str, str]:
    """Refuse XML that declares entities or points at external resources; the root element's name otherwise.

    Entities can only be declared before the root element, so reading up to it is enough. rdflib's own
    RDF/XML parser (expat through xml.sax) leaves external entities unresolved by default, but a
    document carrying any is hostile or broken, and is not parsed at all.
    """
    handler = _FirstElement()
    parser = defusedxml.sax.make_parser()  # forbid_entities and forbid_external are on by default
    parser.setFeature(feature_namespaces, True)
    parser.setContentHandler(handler)
    source = xmlreader.InputSource()
    source.setByteStream(io.BytesIO(body))
    try:
        parser.parse(source)
    except _Found:
        pass
    except DefusedXmlException as exc:
        raise UnsafeXml(f"the XML declares entities or external references ({type(exc).__name__})") from exc
    except SAXException as exc:
        raise NotDcat(f"not well-formed XML ({exc})") from exc
    if handler.name is None:
        raise NotDcat("an XML document without a root element")
    return handler.name


def inline_contexts(document: Any, fetch: Callable[[str], Any], base: str, depth: int = 0) -> Any:
    """Replace every remote JSON-LD @context by the context fetched through `fetch`.

    rdflib would otherwise fetch remote contexts itself with urlopen, past the address guard.
    """
    if depth > 5:
        raise NotDcat("JSON-LD with remote contexts nested more than five deep")
    if isinstance(document, list):
        return [inline_contexts(item, fetch, base, depth) for item in document]
    if not isinstance(document, dict):
        return document
    result = {}
    for key, value in document.items():
        if key == "@context":
            result[key] = _inline_context_value(value, fetch, base, depth)
        elif key == "@import":
            raise NotDcat("JSON-LD using @import in a context, which odq does not follow")
        else:
            result[key] = inline_contexts(value, fetch, base, depth)
    return result


def _inline_context_value(value: Any, fetch: Callable[[str], Any], base: str, depth: int) -> Any:
    if isinstance(value, str):
        url = urljoin(base, value)
        return _inline_context_value(fetch(url), fetch, url, depth + 1)
    if isinstance(value, list):
        return [_inline_context_value(item, fetch, base, depth) for item in value]
    return inline_contexts(value, fetch, base, depth + 1) if isinstance(value, dict) else value


def dataset_subjects(graph: Graph) -> list[Node]:
    """Every dataset on the page, once (a series node typed both Dataset and DatasetSeries counts once)."""
    subjects: set[Node] = set()
    for dataset_type in DATASET_TYPES:
        subjects.update(graph.subjects(RDF.type, dataset_type))
    for catalogue in graph.subjects(RDF.type, DCAT.Catalog):
        subjects.update(graph.objects(catalogue, DCAT.dataset))
    return sorted((s for s in subjects if not isinstance(s, Literal)), key=_node_key)


def _node_key(node: Node) -> tuple[int, str]:
    return (1, "") if isinstance(node, BNode) else (0, str(node))


def hydra_paging(graph: Graph, page_url: str) -> dict[str, Any]:
    """Hydra paging as ckanext-dcat 1.x (PagedCollection, nextPage) or DCAT-AP 3 / udata (view, next) write it."""
    paging: dict[str, Any] = {}
    candidates = []
    for predicate in (HYDRA.nextPage, HYDRA.next):
        candidates.extend(str(o) for o in graph.objects(None, predicate) if isinstance(o, URIRef | Literal))
    if candidates:
        resolved = sorted({urljoin(page_url, c.strip()) for c in candidates if c.strip()})
        # Several next links mean several views; the one that is not this page moves forward.
        forward = [c for c in resolved if c != page_url] or resolved
        paging["next"] = forward[0] if forward else None
    if any(True for _ in graph.subjects(RDF.type, HYDRA.PagedCollection)):
        paging["style"] = "hydra:PagedCollection"
    elif any(True for _ in graph.subjects(RDF.type, HYDRA.PartialCollectionView)) or \
            any(True for _ in graph.objects(None, HYDRA.view)):
        paging["style"] = "hydra:PartialCollectionView"
    totals = [as_int(o) for o in graph.objects(None, HYDRA.totalItems)]
    totals = [t for t in totals if t is not None]
    if totals:
        paging["total"] = max(totals)
    sizes = [as_int(o) for o in graph.objects(None, HYDRA.itemsPerPage)]
    sizes = [s for s in sizes if s is not None]
    if sizes:
        paging["items_per_page"] = max(sizes)
    return paging




# -- mapping DCAT-AP onto the record model ----------------------------------------------------------
class RdfReader:
    """Reads values out of one page's graph, choosing literals by language preference."""

    NAME_PREDICATES = (FOAF.name, VCARD.fn, VCARD["organization-name"], SKOS.prefLabel, RDFS.label, DCT.title,
                       RDF.value)

    def __init__(self, graph: Graph, languages: Iterable[str] = DEFAULT_LANGUAGES) -> None:
        self.graph = graph
        self.languages = tuple(languages)

    def objects(self, subject: Node, *predicates: Node) -> list[Node]:
        """The values in a stable order: "the first contact point" must be the same one in every harvest."""
        found = {o for p in predicates for o in self.graph.objects(subject, p)}
        if len(found) < 2:
            return list(found)
        return sorted(found, key=self._order)

    def _order(self, node: Node) -> tuple[int, str]:
        if isinstance(node, BNode):  # blank-node ids change with every parse: order by content instead
            return 1, orjson.dumps(self.describe(node, DESCRIBE_DEPTH - 1), option=orjson.OPT_SORT_KEYS).decode()
        return 0, str(node)

    def best_literal(self, values: Iterable[Node]) -> str | None:
        literals = [v for v in values if isinstance(v, Literal) and str(v).strip()]
        if not literals:
            return None
        for language in self.languages:
            tagged = sorted(str(v).strip() for v in literals if _language(v) == language)
            if tagged:
                return tagged[0]
        untagged = [v for v in literals if not v.language]
        return sorted(str(v).strip() for v in (untagged or literals))[0]

    def text(self, subject: Node, *predicates: Node) -> str | None:
        return self.best_literal(self.objects(subject, *predicates))

    def label(
        self, node: Node, predicates: tuple[Node, ...] = NAME_PREDICATES, uri_fallback: bool = True
    ) -> str | None:
        """A literal as itself; a node by its name or label; a URI without one as the URI."""
        if isinstance(node, Literal):
            return str(node).strip() or None
        for predicate in predicates:
            found = self.text(node, predicate)
            if found:
                return found
        return str(node) if uri_fallback and isinstance(node, URIRef) else None

    def first_label(self, subject: Node, predicate: Node, **kwargs: Any) -> str | None:
        for node in self.objects(subject, predicate):
            found = self.label(node, **kwargs)
            if found:
                return found
        return None

    def url(self, subject: Node, predicate: Node) -> str | None:
        """URLs are written as IRIs or, by some exporters (ckanext-dcatapch), as plain literals."""
        for node in self.objects(subject, predicate):
            if isinstance(node, URIRef | Literal) and str(node).strip():
                return str(node).strip()
        return None

    def keywords(self, subject: Node) -> list[str]:
        literals = [v for v in self.objects(subject, DCAT.keyword) if isinstance(v, Literal) and str(v).strip()]
        present = {_language(v) for v in literals}
        chosen = next((language for language in self.languages if language in present), None)
        if chosen is None and len(present - {None}) > 1:
            chosen = sorted(present - {None})[0]  # one language only, not the same word four times
        keep = [v for v in literals if v.language is None or chosen is None or _language(v) == chosen]
        return list(dict.fromkeys(str(v).strip() for v in keep))

    def has_triples(self, node: Node) -> bool:
        return any(True for _ in self.graph.predicate_objects(node))

    def describe(self, node: Node, depth: int = 0, path: frozenset[Node] = frozenset()) -> Any:
        """The node as plain JSON for audit: fixed prefixes, sorted values, no blank-node ids (they change
        with every parse and would make an unchanged dataset look new)."""
        if isinstance(node, Literal):
            return _literal_json(node)
        expandable = depth < DESCRIBE_DEPTH and node not in path and self.has_triples(node)
        if expandable and depth > 0 and isinstance(node, URIRef):
            types = set(self.graph.objects(node, RDF.type))
            expandable = not types & {DCAT.Dataset, DCAT.DatasetSeries, DCAT.Catalog}
        if not expandable:
            return str(node) if isinstance(node, URIRef) else {}
        described: dict[str, Any] = {"@id": str(node)} if isinstance(node, URIRef) else {}
        grouped: dict[str, list[Any]] = {}
        for predicate, value in self.graph.predicate_objects(node):
            if predicate == RDF.type and isinstance(value, URIRef):
                grouped.setdefault("@type", []).append(_compact(str(value)))
                continue
            grouped.setdefault(_compact(str(predicate)), []).append(self.describe(value, depth + 1, path | {node}))
        for key in sorted(grouped):
            values = sorted(grouped[key], key=lambda v: orjson.dumps(v, option=orjson.OPT_SORT_KEYS))
            described[key] = values[0] if len(values) == 1 else values
        return described


def _language(literal: Node) -> str | None:
    language = getattr(literal, "language", None)
    return language.lower().split("-")[0] if language else None


def _literal_json(literal: Literal) -> Any:
    text = str(literal)
    if literal.language:
        return {"@value": text, "@language": literal.language}
    if literal.datatype is not None and not str(literal.datatype).endswith("#string"):
        return {"@value": text, "@type": _compact(str(literal.datatype))}
    return text


def _compact(uri: str) -> str:
    for namespace, prefix in PREFIXES.items():
        if uri.startswith(namespace) and len(uri) > len(namespace):
            return f"{prefix}:{uri[len(namespace):]}"
    return uri


def _last_segment(value: str) -> str:
    return re.split(r"[/#]", value.rstrip("/#"))[-1]


def _is_uri(value: str | None) -> bool:
    return bool(value) and re.match(r"^[a-z][a-z0-9+.-]*:", value, re.IGNORECASE) is not None \
        and ("/" in value or "#" in value)


def _email(value: str | None) -> str | None:
    """vcard:hasEmail as written: mailto: IRIs, bare addresses, or addresses an exporter turned into
    relative IRIs (<opendata@zuerich.ch> resolved against the page URL)."""
    if not value:
        return None
    if value.lower().startswith("mailto:"):
        return value[7:].strip() or None
    if _is_uri(value) and "@" in _last_segment(value):
        return _last_segment(value)
    return value.strip() or None


def _date(reader: RdfReader, subjects: list[Node], predicate: Node, problems: list[str], label: str) -> str | None:
    for subject in subjects:
        for value in reader.objects(subject, predicate):
            if not isinstance(value, Literal) or not str(value).strip():
                continue
            try:
                return parse_date(str(value))
            except BadDate as exc:
                problems.append(f"{label}: {exc}")
                return None
    return None


def frequency_of(reader: RdfReader, subject: Node) -> tuple[str | None, str | None]:
    """(raw, normalised) dct:accrualPeriodicity: an IRI, a literal, or a node carrying rdf:value."""
    for node in reader.objects(subject, DCT.accrualPeriodicity):
        raw = reader.label(node, (RDF.value, SKOS.prefLabel, RDFS.label, DCT.title))
        if raw:
            normalised = normalise_frequency(raw)
            if normalised is None and _is_uri(raw):
                normalised = normalise_frequency(_last_segment(raw))
            return raw, normalised
    return None, None


def _temporal(reader: RdfReader, subject: Node, problems: list[str]) -> str | None:
    periods = []
    for node in reader.objects(subject, DCT.temporal):
        if isinstance(node, Literal):
            periods.append(str(node).strip())
            continue
        ends = []
        for starts, inner in (((DCAT.startDate, SCHEMA_HTTP.startDate, SCHEMA_HTTPS.startDate), TIME.hasBeginning),
                              ((DCAT.endDate, SCHEMA_HTTP.endDate, SCHEMA_HTTPS.endDate), TIME.hasEnd)):
            value = reader.text(node, *starts)
            if value is None:
                for instant in reader.objects(node, inner):
                    value = reader.text(instant, TIME.inXSDDateTime, TIME.inXSDDate, TIME.inXSDDateTimeStamp)
                    if value:
                        break
            if value:
                try:
                    value = parse_date(value)
                except BadDate as exc:
                    problems.append(f"temporal: {exc}")
            ends.append(value or "..")
        if ends != ["..", ".."]:
            periods.append("/".join(ends))
        elif isinstance(node, URIRef):
            periods.append(str(node))
    return "; ".join(p for p in periods if p) or None


SPATIAL_LABELS = (SKOS.prefLabel, RDFS.label, LOCN.geographicName, DCT.title, DCT.identifier)
GEOMETRIES = (LOCN.geometry, DCAT.bbox, DCAT.centroid)


def _spatial(reader: RdfReader, subject: Node) -> str | None:
    places = []
    for node in reader.objects(subject, DCT.spatial):
        name = reader.label(node, SPATIAL_LABELS, uri_fallback=True)
        if name is None:  # an unnamed location: its geometry, WKT when there is a choice
            geometries = [g for g in reader.objects(node, *GEOMETRIES) if isinstance(g, Literal)]
            wkt = [g for g in geometries if str(g.datatype or "").endswith("wktLiteral")]
            chosen = (wkt or geometries)[:1]
            name = str(chosen[0]).strip() if chosen else None
        if name:
            places.append(name)
    return "; ".join(dict.fromkeys(places)) or None


def _media_type(reader: RdfReader, node: Node) -> str | None:
    value = reader.first_label(node, DCAT.mediaType, predicates=(RDF.value, RDFS.label, SKOS.prefLabel))
    if value:
        match = _IANA_MEDIA_TYPE.match(value)
        return match.group(1) if match else value
    return None


def _distribution(reader: RdfReader, node: Node, problems: list[str]) -> tuple[Distribution, str | None]:
    """One dcat:Distribution, and its licence (a dataset without one of its own takes it from here)."""
    if isinstance(node, Literal):
        return Distribution(access_url=str(node).strip() or None), None
    access_url = reader.url(node, DCAT.accessURL)
    download_url = reader.url(node, DCAT.downloadURL)
    if access_url is None and download_url is None and isinstance(node, URIRef) and not reader.has_triples(node):
        access_url = str(node)
    format_raw = reader.first_label(node, DCT["format"], predicates=(RDF.value, RDFS.label, SKOS.prefLabel))
    media_type = _media_type(reader, node)
    url = download_url or access_url
    code = normalise_format(format_raw, media_type)
    if code is None and format_raw and _is_uri(format_raw):
        code = normalise_format(_last_segment(format_raw), media_type)
    if code is None:
        code = normalise_format(format_raw, media_type, url)
    info = format_info(code)
    byte_size = None
    size_text = reader.text(node, DCAT.byteSize)
    if size_text is not None:
        byte_size = as_int(size_text)
        if byte_size is None:
            problems.append(f"byteSize: {size_text!r} is not a number")
    modified = _date(reader, [node], DCT.modified, problems, "distribution modified")
    has_service = bool(reader.objects(node, DCAT.accessService))
    distribution = Distribution(
        access_url=access_url,
        download_url=download_url,
        title=reader.text(node, DCT.title),
        format_raw=format_raw,
        format=code,
        media_type=media_type,
        byte_size=byte_size,
        is_api=bool(info and info.api) or has_service,
        modified=modified,
    )
    return distribution, reader.first_label(node, DCT.license, predicates=(RDFS.label, DCT.title, SKOS.prefLabel))


def _contact(reader: RdfReader, subject: Node) -> str | None:
    for node in reader.objects(subject, DCAT.contactPoint):
        if isinstance(node, Literal):
            return str(node).strip() or None
        name = reader.text(node, VCARD.fn, VCARD["organization-name"], FOAF.name)
        email = _email(reader.url(node, VCARD.hasEmail) or reader.url(node, VCARD.email))
        text = " ".join(x for x in (name, email) if x)
        if text:
            return text
    return None


def _categories(reader: RdfReader, subject: Node, publisher: str | None, publisher_node: Node | None) -> list[Category]:
    categories = []
    for node in reader.objects(subject, DCAT.theme):
        if isinstance(node, Literal):
            label, code = str(node).strip(), None
        else:
            label = reader.text(node, SKOS.prefLabel, RDFS.label, DCT.title)
            code = str(node) if isinstance(node, URIRef) else None
            if label is None and code:
                label = _last_segment(code)
        if label:
            categories.append(Category("theme", label, code))
    if publisher:
        code = str(publisher_node) if isinstance(publisher_node, URIRef) else None
        categories.append(Category("department", publisher, code))
    return list({(c.dimension, c.label, c.code): c for c in categories}.values())


def map_dataset(reader: RdfReader, subject: Node, portal_id: str) -> DatasetRecord:
    """One dcat:Dataset node of a page's graph → one record."""
    identifier = reader.text(subject, DCT.identifier)
    native_id = identifier or (str(subject) if isinstance(subject, URIRef) else None)
    if not native_id:
        raise UnmappableDataset(None, "a dataset written as a blank node without dct:identifier has no stable id")
    if not reader.has_triples(subject):
        raise UnmappableDataset(native_id, "listed by the catalogue (dcat:dataset) but not described in the document")
    problems: list[str] = []
    title = reader.text(subject, DCT.title)
    if title is None:
        problems.append("title: missing")
    # DCAT-AP: dates of the metadata record, used when the dataset itself carries none.
    catalogue_records = reader.objects(subject, FOAF.isPrimaryTopicOf) + sorted(
        set(reader.graph.subjects(FOAF.primaryTopic, subject)), key=_node_key
    )
    publisher_nodes = reader.objects(subject, DCT.publisher)
    publisher = next((p for p in (reader.label(n) for n in publisher_nodes) if p), None)
    publisher_node = publisher_nodes[0] if publisher_nodes else None
    frequency_raw, frequency = frequency_of(reader, subject)
    distributions, licences = [], []
    for node in reader.objects(subject, DCAT.distribution):
        distribution, licence = _distribution(reader, node, problems)
        distributions.append(distribution)
        if licence:
            licences.append(licence)
    licence = reader.first_label(subject, DCT.license, predicates=(RDFS.label, DCT.title, SKOS.prefLabel))
    landing = reader.url(subject, DCAT.landingPage)
    if landing is None and isinstance(subject, URIRef) and str(subject).startswith(("http://", "https://")):
        landing = str(subject)
    return DatasetRecord(
        portal_id=portal_id,
        native_id=native_id,
        title=title or "",
        landing_url=landing,
        description=reader.text(subject, DCT.description),
        publisher=publisher,
        department=publisher,
        contact=_contact(reader, subject),
        licence=licence or (sorted(set(licences))[0] if licences else None),
        access_rights=reader.first_label(
            subject, DCT.accessRights, predicates=(RDFS.label, SKOS.prefLabel, DCT.description, DCT.title)
        ),
        categories=_categories(reader, subject, publisher, publisher_node),
        keywords=reader.keywords(subject),
        frequency_raw=frequency_raw,
        frequency=frequency,
        issued=_date(reader, [subject, *catalogue_records], DCT.issued, problems, "issued"),
        modified=_date(reader, [subject, *catalogue_records], DCT.modified, problems, "modified"),
        data_modified=newest_date(d.modified for d in distributions),  # dct:modified of the distributions
        spatial=_spatial(reader, subject),
        temporal=_temporal(reader, subject, problems),
        distributions=distributions,
        problems=problems,
        raw=reader.describe(subject),
    )
