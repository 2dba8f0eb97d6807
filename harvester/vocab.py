"""The vocabularies of profiles/vocab, loaded once: format and frequency normalisation, the 12 domains."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from harvester.profiles import ProfileError, load_yaml
from profiles import PROFILES_DIR

# Named frequency classes that are not ISO 8601 durations.
FREQUENCY_CLASSES = ("continuous", "irregular", "never")


@lru_cache(maxsize=65536)
def normalise_label(text: str) -> str:
    """Key for label lookup: NFKC (full-width → half-width), lower case, inner whitespace collapsed."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text)).strip().lower()


@dataclass(frozen=True, slots=True)
class FormatInfo:
    code: str
    machine_readable: bool
    non_proprietary: bool
    qa_stars: int | None  # ckanext-qa's openness score for the format; None where its table does not list it
    tabular: bool
    api: bool
    media_types: tuple[str, ...] = ()
    ckan: str | None = None  # the format's short name in CKAN's resource format list


class VocabError(ProfileError):
    """A vocabulary file that breaks its own rules (a label in two entries, a score out of range)."""


_FORMATS_FILE = "formats.yaml"


@cache
def _formats() -> tuple[dict[str, FormatInfo], dict[str, str], dict[str, str]]:
    """Formats by code, codes by label (labels, codes and media types), codes by media type alone."""
    data = load_yaml(PROFILES_DIR / "vocab" / _FORMATS_FILE)
    by_code: dict[str, FormatInfo] = {}
    by_label: dict[str, str] = {}
    by_media: dict[str, str] = {}
    for entry in data["formats"]:
        code = entry["code"]
        stars = entry.get("qa_stars")
        if stars is not None and (not isinstance(stars, int) or not 0 <= stars <= 5):
            raise VocabError(f"{_FORMATS_FILE}: formats[{code}].qa_stars: expected an integer 0–5, got {stars!r}")
        media_types = tuple(str(m).lower() for m in entry.get("media_types", []))
        by_code[code] = FormatInfo(
            code=code,
            machine_readable=bool(entry.get("machine_readable")),
            non_proprietary=bool(entry.get("non_proprietary")),
            qa_stars=stars,
            tabular=bool(entry.get("tabular")),
            api=bool(entry.get("api")),
            media_types=media_types,
            ckan=entry.get("ckan"),
        )
        for label in [code, *entry.get("labels", []), *media_types]:
            key = normalise_label(str(label))
            if by_label.setdefault(key, code) != code:
                raise VocabError(f"{_FORMATS_FILE}: formats[{code}]: label {label!r} is already a label of "
                                 f"{by_label[key]}; a label belongs to one format only")
        for media_type in media_types:
            by_media[media_type] = code
    return by_code, by_label, by_media


def format_info(code: str | None) -> FormatInfo | None:
    return _formats()[0].get(code) if code else None


def format_codes() -> tuple[str, ...]:
    return tuple(_formats()[0])


def normalise_format(raw: str | None, media_type: str | None = None, url: str | None = None) -> str | None:
    """The format code for a raw format string, else its media type, else the URL's file extension."""
    declared = _declared_format(raw, media_type)
    if declared or not url:
        return declared
    found = url_format(url)
    return found[1] if found else None


def declared_format(raw: str | None, media_type: str | None = None) -> str | None:
    """The format code a declared format string names, else the declared media type; never the URL."""
    return _declared_format(raw, media_type)


@lru_cache(maxsize=4096)
def _declared_format(raw: str | None, media_type: str | None) -> str | None:
    _by_code, by_label, _by_media = _formats()
    for candidate in (raw, media_type):
        if candidate:
            key = normalise_label(candidate).lstrip(".")
            if key in by_label:
                return by_label[key]
            key = key.split(";")[0].strip()
            if key in by_label:
                return by_label[key]
    return None


def url_extensions(url: str) -> list[str]:
    """The file name's extensions, the more specific first: ".../a.csv.zip?x=1" → ["csv.zip", "zip"].

    As ckanext-qa reads a URL: the query is dropped, then the last path segment; two sections, then one.
    """
    name = url.split("?")[0].split("#")[0].rsplit("/", 1)[-1]
    parts = name.split(".")
    return [".".join(parts[-n:]) for n in (2, 1) if len(parts) > n]


@lru_cache(maxsize=65536)
def url_format(url: str | None) -> tuple[str, str] | None:
    """(extension, format code) for the first of the URL's extensions that names a format, else None."""
    if not url:
        return None
    by_label = _formats()[1]
    for extension in url_extensions(url):
        key = normalise_label(extension)
        if 1 <= len(key) <= 7 and key in by_label:  # longer "extensions" are words in a file name
            return extension, by_label[key]
    return None


def media_type_format(content_type: str | None) -> str | None:
    """The format a served Content-Type names ("text/csv; charset=utf-8" → CSV), else None."""
    if not content_type:
        return None
    return _formats()[2].get(content_type.split(";")[0].strip().lower())


@dataclass(frozen=True, slots=True)
class Frequency:
    code: str
    name_zh: str
    name_en: str


@cache
def _frequencies() -> tuple[dict[str, Frequency], dict[str, str]]:
    data = load_yaml(PROFILES_DIR / "vocab" / "frequencies.yaml")
    by_code: dict[str, Frequency] = {}
    by_label: dict[str, str] = {}
    for entry in data["frequencies"]:
        code = entry["code"]
        by_code[code] = Frequency(code, entry.get("name_zh", code), entry.get("name_en", code))
        for label in [code, *entry.get("labels", [])]:
            by_label.setdefault(normalise_label(str(label)), code)
    return by_code, by_label


def normalise_frequency(raw: str | None) -> str | None:
    if raw is None:
        return None
    return _frequencies()[1].get(normalise_label(str(raw)))


def frequencies() -> dict[str, Frequency]:
    return dict(_frequencies()[0])


_DURATION = re.compile(
    r"^P(?:(?P<y>\d+(?:\.\d+)?)Y)?(?:(?P<mo>\d+(?:\.\d+)?)M)?(?:(?P<w>\d+(?:\.\d+)?)W)?(?:(?P<d>\d+(?:\.\d+)?)D)?"
    r"(?:T(?:(?P<h>\d+(?:\.\d+)?)H)?(?:(?P<mi>\d+(?:\.\d+)?)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?$"
)


def period_days(code: str | None) -> float | None:
    """Length in days of an ISO 8601 duration code (P1M ≈ 30.44 days); None for classes and unknown codes."""
    if not code:
        return None
    match = _DURATION.match(code.removeprefix("R/"))
    if not match or not any(match.groupdict().values()):
        return None
    part = {k: float(v) if v else 0.0 for k, v in match.groupdict().items()}
    return (
        part["y"] * 365.25 + part["mo"] * 30.44 + part["w"] * 7 + part["d"]
        + part["h"] / 24 + part["mi"] / 1440 + part["s"] / 86400
    )


@dataclass(frozen=True, slots=True)
class Domain:
    id: str
    name_zh: str
    name_en: str
    categories: tuple[str, ...]
    departments: tuple[str, ...]
    keywords: tuple[str, ...]


@cache
def domains() -> tuple[Domain, ...]:
    data: dict[str, Any] = load_yaml(PROFILES_DIR / "vocab" / "domains.yaml")
    return tuple(
        Domain(
            id=d["id"], name_zh=d["name_zh"], name_en=d.get("name_en", d["id"]),
            categories=tuple(d.get("categories", [])), departments=tuple(d.get("departments", [])),
            keywords=tuple(d.get("keywords", [])),
        )
        for d in data["domains"]
    )
