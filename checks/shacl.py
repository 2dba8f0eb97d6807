"""DCAT-AP conformance with pySHACL and the official SEMIC shapes, offline.

The records are validated in odq's DCAT-AP rendering (harvester/dcat_ap.py), for every family: for a DCAT source
that is a re-rendering of what the portal served, and the findings say so. The shapes are read from the folder the
operator names (`ODQ_DCAT_AP_SHAPES`, the SEMIC release layout: `2.1.1/dcat-ap_2.1.1_shacl_*.ttl`,
`3.0.1/dcat-ap-SHACL.ttl`); nothing is fetched. Shape sets that need the EU vocabularies loaded (the MDR
vocabulary shapes and their imports) cannot be evaluated offline, and the result lists them.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, RDF, SH

from harvester.dcat_ap import CatalogueInfo, catalogue_graph
from harvester.records import DatasetRecord

SHAPES_ENV = "ODQ_DCAT_AP_SHAPES"
BATCH = 500  # datasets validated per graph: memory stays flat however large the catalogue
# Per release: the shape files evaluated offline, and those that need the EU vocabularies (not evaluated).
SHAPE_SETS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "2.1.1": (("2.1.1/dcat-ap_2.1.1_shacl_shapes.ttl", "2.1.1/dcat-ap_2.1.1_shacl_range.ttl",
               "2.1.1/dcat-ap_2.1.1_shacl_deprecateduris.ttl"),
              ("2.1.1/dcat-ap_2.1.1_shacl_mdr-vocabularies.shape.ttl", "2.1.1/dcat-ap_2.1.1_shacl_mdr_imports.ttl",
               "2.1.1/dcat-ap_2.1.1_shacl_imports.ttl")),
    # ranges.ttl extends property shapes that only the modular html/ release defines: not loadable on its own.
    "3.0.1": (("3.0.1/dcat-ap-SHACL.ttl",), ("3.0.1/ranges.ttl",)),
}
# Why each shape set left out cannot be evaluated offline, as the report says it.
NOT_OFFLINE_REASONS = {
    "mdr-vocabularies.shape.ttl": "needs the EU controlled vocabularies (MDR) loaded as data",
    "mdr_imports.ttl": "imports the EU controlled vocabularies from the web (owl:imports)",
    "imports.ttl": "imports the DCAT, DCT, FOAF, vCard… ontologies from the web (owl:imports)",
    "ranges.ttl": "the class-range shapes: they need the imported ontologies' class hierarchy and the EU "
                  "vocabularies, and extend property shapes only the modular release defines",
}


def not_offline_reason(name: str) -> str:
    """The reason a shape file is not evaluated offline."""
    for suffix, reason in NOT_OFFLINE_REASONS.items():
        if name.endswith(suffix):
            return reason
    return "needs data that offline validation cannot have"


class ShapesMissing(LookupError):
    pass


@dataclass(frozen=True, slots=True)
class Violation:
    native_id: str | None  # None: about the catalogue itself
    path: str  # the property the shape constrains, compacted (dct:title)
    message: str
    severity: str  # Violation | Warning | Info
    shape: str = ""  # the shape that failed: its IRI, or its path and constraint when the shape is a blank node


@dataclass(slots=True)
class Conformance:
    version: str
    datasets: int
    violations: list[Violation] = field(default_factory=list)
    not_evaluated: tuple[str, ...] = ()  # shape files that need what offline validation cannot have

    def merged(self, other: Conformance) -> Conformance:
        """Two batches' results; the catalogue's own violations, the same in every batch, are kept once."""
        catalogue = {(v.path, v.message) for v in self.violations if v.native_id is None}
        extra = [v for v in other.violations if v.native_id is not None or (v.path, v.message) not in catalogue]
        return Conformance(self.version, self.datasets + other.datasets, [*self.violations, *extra],
                           self.not_evaluated)

    def failing(self) -> set[str]:
        return {v.native_id for v in self.violations if v.native_id and v.severity == "Violation"}


def shapes_dir() -> Path | None:
    value = os.environ.get(SHAPES_ENV)
    return Path(value) if value else None


def _shapes(folder: Path, version: str) -> Graph:
    graph = Graph()
    for name in SHAPE_SETS[version][0]:
        path = folder / name
        if not path.is_file():
            raise ShapesMissing(f"DCAT-AP {version} shape file {path} is missing")
        graph.parse(path, format="turtle")
    return graph


def _dataset_of(graph: Graph, node: object, native_ids: dict[URIRef, str]) -> str | None:
    """The dataset a focus node belongs to: itself, or the dataset that points to it (distributions, agents…)."""
    seen = set()
    frontier = [node]
    while frontier:
        current = frontier.pop()
        if current in native_ids:
            return native_ids[current]
        if current in seen:
            continue
        seen.add(current)
        frontier.extend(graph.subjects(None, current))
    return None


def validate_records(records: Iterable[DatasetRecord], folder: Path, version: str = "2.1.1",
                     info: CatalogueInfo | None = None) -> Conformance:
    from pyshacl import validate  # heavy (owlrl): imported when a validation runs

    records = list(records)
    info = info or CatalogueInfo("odq", "odq", "https://odq.invalid/", 0, "1970-01-01T00:00:00")
    data = catalogue_graph(info, records, version)
    native_ids = {s: str(data.value(s, DCTERMS.identifier)) for s in data.subjects(RDF.type, DCAT.Dataset)}
    _conforms, report, _text = validate(data, shacl_graph=_shapes(folder, version), inference="none",
                                        allow_warnings=True, advanced=True)
    result = Conformance(version, len(records), not_evaluated=SHAPE_SETS[version][1])
    for node in report.subjects(RDF.type, SH.ValidationResult):
        path = report.value(node, SH.resultPath)
        message = report.value(node, SH.resultMessage)
        severity = report.value(node, SH.resultSeverity)
        shown_path = data.namespace_manager.normalizeUri(path) if isinstance(path, URIRef) else str(path or "")
        result.violations.append(Violation(
            native_id=_dataset_of(data, report.value(node, SH.focusNode), native_ids),
            path=shown_path,
            message=str(message) if isinstance(message, Literal) else "",
            severity=str(severity).rsplit("#", 1)[-1] if severity else "Violation",
            shape=shape_key(report, node, shown_path),
        ))
    return result


def shape_key(report: Graph, result: object, path: str) -> str:
    """A name for the shape a result comes from: the shapes' own IRI when named (most 2.1.1 property shapes are
    blank nodes), else the constrained path and the constraint, e.g. "dct:description MinCount"."""
    shape = report.value(result, SH.sourceShape)
    if isinstance(shape, URIRef):
        return str(shape)
    component = str(report.value(result, SH.sourceConstraintComponent) or "").rsplit("#", 1)[-1]
    return f"{path or '(node)'} {component.removesuffix('ConstraintComponent')}".strip()


def by_dataset(conformance: Conformance) -> dict[str | None, list[Violation]]:
    grouped: dict[str | None, list[Violation]] = defaultdict(list)
    for violation in conformance.violations:
        grouped[violation.native_id].append(violation)
    return grouped
