"""Writing an rdflib graph in the serialisations odq exports (Turtle, JSON-LD)."""

from __future__ import annotations

from rdflib import Graph

FORMATS = {"turtle": ".ttl", "json-ld": ".jsonld"}


def serialise(graph: Graph, fmt: str) -> bytes:
    if fmt not in FORMATS:
        raise ValueError(f"unknown RDF serialisation {fmt!r}: use {' or '.join(FORMATS)}")
    return graph.serialize(format=fmt, encoding="utf-8")
