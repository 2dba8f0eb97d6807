"""Openness stars as ckanext-qa scores them: per distribution, from the best evidence of its format.

The rule (ckanext-qa `tasks.resource_score`, re-expressed):
1. a link the checker found broken scores 0;
2. otherwise the format is taken from the strongest evidence that names one: the file's bytes (a sampled
   file's signature), then the Content-Type it was served with, then the URL's file extension, then the
   format the portal declares; the publisher's word comes last because a "CSV" may be a landing page;
3. the format's score is ckanext-qa's table (profiles/vocab/formats.yaml `qa_stars`); a format the table does
   not list, or no format at all, scores 1 (ckanext-qa's score when it cannot place a format), and is
   labelled unknown;
4. a dataset whose licence is not open scores 0 on every distribution.
A dataset scores its best distribution (ckanext-qa's optimistic aggregate); a dataset without distributions
is not scored. A link not checked, or one the checker could not judge (alive unknown), changes nothing; a
licence the Open Definition list does not know is reported, not zeroed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from checks.licences import LicenceVerdict, licence_openness
from harvester.vocab import declared_format, format_info, media_type_format, url_format

if TYPE_CHECKING:
    from checks.catalogue import Catalogue

UNKNOWN_FORMAT_STARS = 1  # ckanext-qa: "Could not understand the file format, therefore score is 1."
EVIDENCE = ("broken-link", "closed-licence", "sniffed", "served", "url", "declared", "none")

# Served types many formats share say nothing against a more specific URL or declared format: servers send
# text/plain for CSV and Turtle, application/xml for RDF/XML and KML, application/zip for shapefiles and
# XLSX, application/vnd.ms-excel for CSV (IIS's default). They decide only where nothing else names a format.
_SHARED_SERVED = {"TXT": None, "XML": None, "JSON": None, "ZIP": None, "BIN": None, "GZIP": None,
                  "XLS": frozenset({"CSV", "TSV"})}


@dataclass(frozen=True, slots=True)
class Stars:
    """One distribution's stars and why: the evidence that decided, the format it named, the message."""

    stars: int
    format: str | None  # the format code the stars are for (None: no evidence named one)
    evidence: str  # one of EVIDENCE
    known: bool  # the format is in ckanext-qa's table (False: scored 1 as unknown, or zeroed before scoring)
    reason: str


def _table(code: str | None) -> tuple[int, bool]:
    info = format_info(code)
    if info is None or info.qa_stars is None:
        return UNKNOWN_FORMAT_STARS, False
    return info.qa_stars, True


def _describe(code: str | None) -> str:
    stars, known = _table(code)
    if code is None:
        return f"no format named → {stars} star (unknown format)"
    if not known:
        return f"{code} is not in ckanext-qa's table → {stars} star (unknown format)"
    return f"{code} → {stars} star{'s' if stars != 1 else ''}"


def declared_code(format_raw: str | None, media_type: str | None, stored: str | None, url: str | None) -> str | None:
    """What the portal declares: its format string or media type; else the code the adapter stored, unless
    that code was itself read from the URL (normalise_format falls back to the extension)."""
    declared = declared_format(format_raw, media_type)
    if declared or stored is None:
        return declared
    from_url = url_format(url)
    return None if from_url and from_url[1] == stored else stored


def distribution_stars(
    *,
    declared: str | None,
    url: str | None = None,
    alive: bool | None = None,
    link_reason: str | None = None,
    content_type: str | None = None,
    sniffed: str | None = None,
) -> Stars:
    """ckanext-qa's score for one distribution before the licence is considered (see the module docstring)."""
    if alive is False:
        return Stars(0, declared, "broken-link", False, f"broken link ({link_reason or 'dead'}) → 0 stars")
    said = f"declared {declared}" if declared else "no declared format"
    if sniffed and format_info(sniffed):
        stars, known = _table(sniffed)
        seen = "the file's bytes agree" if sniffed == declared else "the file's bytes are"
        return Stars(stars, sniffed, "sniffed", known, f"{said}, {seen}: {_describe(sniffed)}")
    extension = url_format(url)
    candidate = extension[1] if extension else declared
    served = media_type_format(content_type)
    if served and served != candidate:
        shared = served in _SHARED_SERVED
        carries = _SHARED_SERVED.get(served)
        # a shared type yields to a candidate ckanext-qa can score (Turtle served as text/plain); an API or a
        # format the table lacks (JSON-LD served as application/json) is scored by what it serves
        yields = candidate and shared and _table(candidate)[1] and (carries is None or candidate in carries)
        if not yields:
            stars, known = _table(served)
            return Stars(stars, served, "served", known,
                         f"{said}, served {content_type.split(';')[0].strip()}: {_describe(served)}")
    if extension:
        ext, code = extension
        stars, known = _table(code)
        if code == declared:
            return Stars(stars, code, "url", known, f"declared {code}, URL .{ext}: {_describe(code)}")
        return Stars(stars, code, "url", known, f"{said} but the URL is .{ext}: {_describe(code)}")
    if declared:
        stars, known = _table(declared)
        return Stars(stars, declared, "declared", known, f"declared {declared}, no other evidence: "
                                                         f"{_describe(declared)}")
    return Stars(UNKNOWN_FORMAT_STARS, None, "none", False,
                 f"no declared format, no file extension, nothing served: {_describe(None)}")


def with_licence(stars: Stars, licence: LicenceVerdict, raw_licence: str | None) -> Stars:
    """ckanext-qa: a licence that is not open scores 0, after the link check (a broken link stays the reason)."""
    if licence.status != "closed" or stars.stars == 0:
        return stars
    return Stars(0, stars.format, "closed-licence", stars.known,
                 f"licence {raw_licence!r} is not open → 0 stars (format: {stars.reason})")


def _alive(value: object) -> bool | None:
    """A link check's verdict: True, False, or None when not checked or not judged (odq's side failed)."""
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return None
    return bool(value)


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


@dataclass(slots=True)
class CatalogueStars:
    """Per dataset (index: native_id): stars (Int64, NA when not scored), and why."""

    datasets: pd.DataFrame  # stars, format, evidence, known, reason, format_only, licence
    distributions_scored: int
    from_declared_only: bool  # the harvest's distribution rows were not loaded: declared formats only


def score_catalogue(catalogue: Catalogue) -> CatalogueStars:
    """ckanext-qa's stars for every dataset: its best distribution, after the link and licence checks."""
    frame = catalogue.datasets
    licences = frame["licence"].map(lambda raw: licence_openness(_text(raw)))
    dists = catalogue.distributions
    loaded = not (dists.empty and bool((frame["distributions_count"] > 0).any()))
    rows: list[tuple[str, Stars, int]] = []
    if loaded:
        links = catalogue.links
        checks: dict[str, tuple[bool | None, str | None, str | None]] = {}
        if links is not None and not links.empty:
            for url, alive, reason, content_type in zip(links["url"], links["alive"], links["reason"],
                                                        links["content_type"], strict=True):
                checks.setdefault(url, (_alive(alive), _text(reason), _text(content_type)))
        sniffed = {f["url"]: f["served_format"] for f in catalogue.files or [] if f.get("served_format")}
        for d in dists.itertuples(index=False):
            url = _text(d.url)
            alive, reason, content_type = checks.get(url, (None, None, None)) if url else (None, None, None)
            declared = declared_code(_text(d.format_raw), _text(d.media_type), _text(d.format), url)
            stars = distribution_stars(declared=declared, url=url, alive=alive, link_reason=reason,
                                       content_type=content_type, sniffed=sniffed.get(url) if url else None)
            rows.append((d.native_id, stars, _table(declared)[0]))
    else:  # only the per-dataset declared codes are at hand
        for native_id, codes in frame["formats"].items():
            for code in codes or [None]:
                rows.append((native_id, distribution_stars(declared=code), _table(code)[0]))
    raw_licences = frame["licence"].to_dict()
    # per dataset: the best distribution, and the one whose declared format promised the most (for the reason)
    best: dict[str, tuple[Stars, int, Stars]] = {}
    for native_id, stars, format_only in rows:
        stars = with_licence(stars, licences[native_id], _text(raw_licences[native_id]))
        held = best.get(native_id)
        if held is None:
            best[native_id] = (stars, format_only, stars)
            continue
        top = stars if stars.stars > held[0].stars else held[0]
        promised = (format_only, stars) if format_only > held[1] else (held[1], held[2])
        best[native_id] = (top, *promised)

    def column(pick, dtype: str | None = None) -> pd.api.extensions.ExtensionArray | list:
        values = [pick(best[i]) if i in best else None for i in frame.index]
        return pd.array(values, dtype=dtype) if dtype else values

    out = pd.DataFrame(
        {
            "stars": column(lambda b: b[0].stars, "Int64"),
            "format": column(lambda b: b[0].format),
            "evidence": column(lambda b: b[0].evidence),
            "known": column(lambda b: b[0].known),
            "reason": column(lambda b: b[0].reason),
            "format_only": column(lambda b: b[1], "Int64"),
            "promised_reason": column(lambda b: b[2].reason),  # the distribution whose declared format scores best
            "licence": [v.status for v in licences],
        },
        index=frame.index,
    )
    return CatalogueStars(out, len(rows), not loaded)
