"""Records as DCAT-AP (an rdflib graph, for export and for SHACL validation): any family's records, so any DCAT
tool can read them.

Records map to DCAT-AP classes and properties; controlled values use the EU vocabularies where odq's own
vocabularies name them (file types, frequencies) and stay labelled literals on typed nodes otherwise. What DCAT-AP
has no property for (usage figures, field lists, record counts, sector/region classifications) is left out; the
catalogue says so in its description.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from urllib.parse import quote

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, RDFS, SKOS, XSD

from harvester.records import DatasetRecord, Distribution
from harvester.store import Store
from harvester.vocab import normalise_format, normalise_frequency

VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
FILE_TYPE = "http://publications.europa.eu/resource/authority/file-type/"
FREQUENCY = "http://publications.europa.eu/resource/authority/frequency/"
IANA = "https://www.iana.org/assignments/media-types/"
# The EU frequency authority's codes; each is kept only where odq's frequency vocabulary maps its IRI back.
EU_FREQUENCIES = (
    "CONT", "UPDATE_CONT", "1MIN", "5MIN", "10MIN", "15MIN", "30MIN", "HOURLY", "BIHOURLY", "TRIHOURLY", "12HRS",
    "DAILY", "DAILY_2", "BIDAILY", "WEEKLY", "WEEKLY_2", "WEEKLY_3", "BIWEEKLY", "MONTHLY", "MONTHLY_2",
    "MONTHLY_3", "BIMONTHLY", "QUARTERLY", "ANNUAL", "ANNUAL_2", "ANNUAL_3", "BIENNIAL", "TRIENNIAL",
    "QUADRENNIAL", "QUINQUENNIAL", "DECENNIAL", "IRREG", "NEVER", "AS_NEEDED", "NOT_PLANNED", "UNKNOWN", "OTHER",
)
VERSIONS = ("3.0.1", "2.1.1")  # DCAT-AP releases the rendering follows (2.1.1 is what the MQA validated against)
LEFT_OUT = ("usage figures (views, downloads, API calls), field lists, record counts and the sector, region and "
            "open-type classifications have no DCAT-AP property and are not exported")


@dataclass(frozen=True, slots=True)
class CatalogueInfo:
    portal_id: str
    name: str
    url: str
    harvest_id: int
    harvested_at: str  # ISO 8601


@cache
def _frequency_iris() -> dict[str, str]:
    """odq frequency code → the EU authority IRI its vocabulary maps to it (the first, most specific, wins)."""
    found: dict[str, str] = {}
    for code in EU_FREQUENCIES:
        iri = FREQUENCY + code
        odq_code = normalise_frequency(iri)
        if odq_code is not None:
            found.setdefault(odq_code, iri)
    return found


def _format_iri(code: str | None) -> str | None:
    if not code:
        return None
    iri = FILE_TYPE + code
    return iri if normalise_format(iri) == code else None


# Characters an IRI may not hold (RFC 3987) that portal URLs do: escaped so the Turtle stays parseable.
_NOT_IN_IRI = {c: f"%{ord(c):02X}" for c in ' <>"{}|\\^`'}


def web_iri(value: str | None) -> URIRef | None:
    """A portal's http(s) URL as an IRI, with the characters IRIs forbid escaped; anything else is None."""
    if not value or not value.strip().lower().startswith(("http://", "https://")):
        return None
    text = "".join(_NOT_IN_IRI.get(c, c) for c in value.strip() if c >= " " and c != "\x7f")
    return URIRef(text)


def dataset_iri(portal_id: str, native_id: str) -> URIRef:
    # A URN, not a web address on the portal's domain that would not resolve; dct:identifier keeps the native id.
    return URIRef(f"urn:odq:{quote(portal_id, safe='')}:dataset:{quote(native_id, safe='')}")


def catalogue_iri(portal_id: str, harvest_id: int) -> URIRef:
    """One harvest of a portal's catalogue (the DCAT-AP export's catalogue, what DQV measurements are computed on)."""
    return URIRef(f"urn:odq:{quote(portal_id, safe='')}:catalogue:{harvest_id}")


def _date(value: str | None) -> Literal | None:
    if not value:
        return None
    return Literal(value, datatype=XSD.dateTime if "T" in value else XSD.date)


def _labelled(graph: Graph, kind: URIRef, label: str, predicate: URIRef = RDFS.label) -> BNode:
    node = BNode()
    graph.add((node, RDF.type, kind))
    graph.add((node, predicate, Literal(label)))
    return node


def _typed(graph: Graph, iri: URIRef, kind: URIRef) -> URIRef:
    """An IRI of a controlled vocabulary, with the class DCAT-AP expects of it (what the vocabulary itself states;
    said here so a validator without the EU vocabularies loaded sees it)."""
    graph.add((iri, RDF.type, kind))
    return iri


def _iri_or_labelled(graph: Graph, value: str, kind: URIRef) -> URIRef | BNode:
    iri = web_iri(value) if " " not in value.strip() else None
    return _typed(graph, iri, kind) if iri is not None else _labelled(graph, kind, value)


def _add_distribution(graph: Graph, dataset: URIRef, distribution: Distribution, version: str) -> None:
    node = BNode()
    graph.add((dataset, DCAT.distribution, node))
    graph.add((node, RDF.type, DCAT.Distribution))
    access = web_iri(distribution.access_url) or web_iri(distribution.download_url)  # DCAT-AP: accessURL is mandatory
    if access is not None:
        graph.add((node, DCAT.accessURL, access))
    if (download := web_iri(distribution.download_url)) is not None:
        graph.add((node, DCAT.downloadURL, download))
    if distribution.title:
        graph.add((node, DCTERMS.title, Literal(distribution.title)))
    format_iri = _format_iri(distribution.format)
    if format_iri:
        graph.add((node, DCTERMS["format"], _typed(graph, URIRef(format_iri), DCTERMS.MediaTypeOrExtent)))
    elif distribution.format_raw:
        graph.add((node, DCTERMS["format"], _labelled(graph, DCTERMS.MediaTypeOrExtent, distribution.format_raw)))
    if distribution.media_type and "/" in distribution.media_type and " " not in distribution.media_type:
        graph.add((node, DCAT.mediaType, _typed(graph, URIRef(IANA + distribution.media_type), DCTERMS.MediaType)))
    if distribution.byte_size is not None:
        size_type = XSD.decimal if version == "2.1.1" else XSD.nonNegativeInteger  # the release's own range
        graph.add((node, DCAT.byteSize, Literal(str(distribution.byte_size), datatype=size_type)))
    if (modified := _date(distribution.modified)) is not None:
        graph.add((node, DCTERMS.modified, modified))
    if distribution.is_api and access is not None:
        service = BNode()
        graph.add((node, DCAT.accessService, service))
        graph.add((service, RDF.type, DCAT.DataService))
        graph.add((service, DCAT.endpointURL, access))


def add_dataset(graph: Graph, catalogue: URIRef, record: DatasetRecord, version: str = VERSIONS[0]) -> URIRef:
    subject = dataset_iri(record.portal_id, record.native_id)
    graph.add((catalogue, DCAT.dataset, subject))
    graph.add((subject, RDF.type, DCAT.Dataset))
    graph.add((subject, DCTERMS.identifier, Literal(record.native_id)))
    graph.add((subject, DCTERMS.title, Literal(record.title)))
    if record.description:
        graph.add((subject, DCTERMS.description, Literal(record.description)))
    for keyword in record.keywords:
        graph.add((subject, DCAT.keyword, Literal(keyword)))
    for category in record.categories:
        if category.dimension != "theme":
            continue
        theme = web_iri(category.code) or BNode()
        graph.add((subject, DCAT.theme, theme))
        graph.add((theme, RDF.type, SKOS.Concept))
        graph.add((theme, SKOS.prefLabel, Literal(category.label)))
    if record.publisher:
        graph.add((subject, DCTERMS.publisher, _labelled(graph, FOAF.Agent, record.publisher, FOAF.name)))
    if record.contact:
        graph.add((subject, DCAT.contactPoint, _labelled(graph, VCARD.Kind, record.contact, VCARD.fn)))
    if record.licence:
        graph.add((subject, DCTERMS.license, _iri_or_labelled(graph, record.licence, DCTERMS.LicenseDocument)))
    if record.access_rights:
        graph.add((subject, DCTERMS.accessRights,
                   _iri_or_labelled(graph, record.access_rights, DCTERMS.RightsStatement)))
    if record.frequency_raw or record.frequency:
        iri = _frequency_iris().get(record.frequency or "")
        frequency = (_typed(graph, URIRef(iri), DCTERMS.Frequency) if iri
                     else _labelled(graph, DCTERMS.Frequency, record.frequency_raw or "", RDF.value))
        graph.add((subject, DCTERMS.accrualPeriodicity, frequency))
    for predicate, value in ((DCTERMS.issued, record.issued), (DCTERMS.modified, record.modified)):
        if (literal := _date(value)) is not None:
            graph.add((subject, predicate, literal))
    if record.spatial:
        graph.add((subject, DCTERMS.spatial, _labelled(graph, DCTERMS.Location, record.spatial, SKOS.prefLabel)))
    if record.temporal and "/" in record.temporal:
        start, _, end = record.temporal.partition("/")
        period = BNode()
        graph.add((subject, DCTERMS.temporal, period))
        graph.add((period, RDF.type, DCTERMS.PeriodOfTime))
        for predicate, value in ((DCAT.startDate, start), (DCAT.endDate, end)):
            if (literal := _date(value.strip() or None)) is not None:
                graph.add((period, predicate, literal))
    if (landing := web_iri(record.landing_url)) is not None:
        graph.add((subject, DCAT.landingPage, _typed(graph, landing, FOAF.Document)))
    for distribution in record.distributions:
        _add_distribution(graph, subject, distribution, version)
    return subject


def catalogue_graph(info: CatalogueInfo, records: Iterable[DatasetRecord], version: str = VERSIONS[0]) -> Graph:
    if version not in VERSIONS:
        raise ValueError(f"unknown DCAT-AP release {version!r}: use {' or '.join(VERSIONS)}")
    graph = Graph()
    for prefix, namespace in (("dcat", DCAT), ("dct", DCTERMS), ("foaf", FOAF), ("skos", SKOS), ("vcard", VCARD)):
        graph.bind(prefix, namespace)
    catalogue = catalogue_iri(info.portal_id, info.harvest_id)
    graph.add((catalogue, RDF.type, DCAT.Catalog))
    graph.add((catalogue, DCTERMS.title, Literal(info.name)))
    graph.add((catalogue, DCTERMS.description, Literal(
        f"The catalogue of {info.url} as harvested by odq on {info.harvested_at} (harvest {info.harvest_id}); "
        f"{LEFT_OUT}.")))
    if (homepage := web_iri(info.url)) is not None:
        graph.add((catalogue, FOAF.homepage, _typed(graph, homepage, FOAF.Document)))
    # DCAT-AP asks every catalogue for a publisher: the portal, as far as odq knows it.
    graph.add((catalogue, DCTERMS.publisher, _labelled(graph, FOAF.Agent, info.name, FOAF.name)))
    graph.add((catalogue, DCTERMS.modified, Literal(info.harvested_at, datatype=XSD.dateTime)))
    for record in records:
        add_dataset(graph, catalogue, record, version)
    return graph


def harvest_graph(store: Store, portal_id: str, harvest_id: int | None = None, version: str = VERSIONS[0]) -> Graph:
    """The DCAT-AP graph of a portal's current harvest (or of the harvest given)."""
    portal = store.portal(portal_id)
    if portal is None:
        raise LookupError(f"unknown portal {portal_id!r}: harvest it first (`odq harvest {portal_id}`)")
    harvest = store.harvest(harvest_id) if harvest_id is not None else store.current_harvest(portal_id)
    if harvest is None:
        raise LookupError(f"portal {portal_id!r} has no complete harvest to export")
    info = CatalogueInfo(portal_id, portal.name, portal.url, harvest.id,
                         harvest.started_at.isoformat(timespec="seconds"))
    return catalogue_graph(info, store.records(harvest.id), version)
