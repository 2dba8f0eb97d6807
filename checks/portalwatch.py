"""Open Data Portal Watch's 15 metadata quality metrics (Neumaier, Umbrich, Polleres: "Automated quality assessment
of metadata across open data portals", 2016; the metric registry `metrics.ttl` of sebneu/portalwatch).

Each metric is a value in [0, 1] per dataset; a portal's value is the mean over the datasets it applies to. Portal
Watch states its metrics in one sentence each; where that sentence leaves a choice, odq's reading is written next
to the metric (and in its MeasureSpec title), so an evaluator can defend or change it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from urllib3.util import parse_url

from checks.licences import licence_openness
from checks.measures import FamilyResult, MeasureSpec
from checks.per_dataset import Frames, add_mean, run_passes, share
from harvester.records import DatasetRecord
from harvester.vocab import format_info

FAMILY = "portalwatch"
IRI_BASE = "https://data.wu.ac.at/portalwatch/quality#"

_EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+")
_URL_IN_TEXT = re.compile(r"https?://\S+", re.I)
_DATE_PROBLEM = re.compile(r"not a (?:plausible |valid )?date|not a timestamp")


@dataclass(frozen=True, slots=True)
class Metric:
    spec: MeasureSpec
    code: str  # Portal Watch's identifier, e.g. exac
    name: str  # its local name in the registry, e.g. Access
    dimension: str  # Existence | Conformance | OpenData
    value: Callable[[DatasetRecord], float | None]  # None: the metric does not apply to this dataset

    @property
    def iri(self) -> str:
        return IRI_BASE + self.name


def _spec(code: str, zh: str, en: str) -> MeasureSpec:
    return MeasureSpec(f"pw_{code}", FAMILY, "share", zh, en, good="high")


def is_http_url(value: str | None) -> bool:
    """Syntactically an http(s) URL with a host, read by the parser the HTTP client connects with."""
    if not value or any(c.isspace() for c in value.strip()):
        return False
    try:
        parsed = parse_url(value.strip())
    except ValueError:
        return False
    return parsed.scheme in ("http", "https") and bool(parsed.host)


def _urls(record: DatasetRecord) -> list[str]:
    return [u for d in record.distributions for u in (d.access_url, d.download_url) if u]


def _declared(record: DatasetRecord) -> list[tuple[str | None, str | None]]:
    """(format code, media type) of the distributions that declare a format or a media type."""
    return [(d.format, d.media_type) for d in record.distributions if d.format or d.format_raw or d.media_type]


def _access(record: DatasetRecord) -> float:
    # odq's reading: a dataset without any distribution gives no access information, so it scores 0.
    return share([bool(d.access_url or d.download_url) for d in record.distributions]) or 0.0


def _access_url(record: DatasetRecord) -> float | None:
    return share([is_http_url(u) for u in _urls(record)])


def _contact(record: DatasetRecord) -> float:
    # odq's reading: a contact point (vCard, maintainer, 联系方式); a publisher's name alone is not a way to contact.
    return 1.0 if record.contact else 0.0


def _contact_email(record: DatasetRecord) -> float | None:
    return None if not record.contact else float(bool(_EMAIL.search(record.contact)))


def _contact_url(record: DatasetRecord) -> float | None:
    if not record.contact:
        return None
    return float(any(is_http_url(u) for u in _URL_IN_TEXT.findall(record.contact)))


def _date(record: DatasetRecord) -> float:
    # odq's reading: the dataset's creation (issued) and modification dates; distributions carry no creation date.
    return share([bool(record.issued), bool(record.modified)]) or 0.0


def _date_format(record: DatasetRecord) -> float | None:
    readable = sum(1 for v in (record.issued, record.modified) if v)
    unreadable = sum(1 for p in record.problems if _DATE_PROBLEM.search(p))
    return share([True] * readable + [False] * unreadable)


def _discovery(record: DatasetRecord) -> float:
    return share([bool(record.title and record.title.strip()), bool(record.description), bool(record.keywords)]) \
        or 0.0


def _file_format(record: DatasetRecord) -> float | None:
    # odq's reading: registered with IANA = the declared format is one odq's format vocabulary gives IANA media
    # types for, or the declared media type is one of those.
    def registered(code: str | None, media_type: str | None) -> bool:
        info = format_info(code)
        return bool(info and info.media_types) or bool(
            media_type and info and media_type.split(";")[0].strip().lower() in info.media_types)
    return share([registered(code, media) for code, media in _declared(record)])


def _flagshare(flag: str) -> Callable[[DatasetRecord], float | None]:
    def value(record: DatasetRecord) -> float | None:
        return share([bool(getattr(format_info(code), flag, False)) for code, _media in _declared(record)])
    return value


def _rights(record: DatasetRecord) -> float:
    return 1.0 if record.licence else 0.0


def _preservation(record: DatasetRecord) -> float:
    # odq's reading: format, media type and byte size of each distribution, and the dataset's update frequency.
    flags = [bool(record.frequency_raw)]
    for d in record.distributions:
        flags += [bool(d.format or d.format_raw), bool(d.media_type), d.byte_size is not None]
    return sum(flags) / len(flags)


def _licence_mapped(record: DatasetRecord) -> float | None:
    """Mapped to the Open Definition's list (or a licence family it reviews); no licence: does not apply."""
    return None if not record.licence else float(licence_openness(record.licence).status != "unknown")


def _licence_open(record: DatasetRecord) -> float | None:
    # odq's reading: judged over licences the list knows; an unmapped one is counted by License (coli), not as 0.
    verdict = licence_openness(record.licence) if record.licence else None
    return None if verdict is None or verdict.status == "unknown" else float(verdict.status == "open")


METRICS: tuple[Metric, ...] = (
    Metric(_spec("exac", "资源有访问地址（Access）", "distributions with an access URL (Access)"),
           "exac", "Access", "Existence", _access),
    Metric(_spec("coac", "访问地址为有效 HTTP URL（AccessURL）", "access URLs that are valid HTTP URLs (AccessURL)"),
           "coac", "AccessURL", "Conformance", _access_url),
    Metric(_spec("exco", "有联系方式（Contact）", "datasets with contact information (Contact)"),
           "exco", "Contact", "Existence", _contact),
    Metric(_spec("coce", "联系方式含有效邮箱（ContactEmail）", "contacts holding a valid email (ContactEmail)"),
           "coce", "ContactEmail", "Conformance", _contact_email),
    Metric(_spec("cocu", "联系方式含有效网址（ContactURL）", "contacts holding a valid HTTP URL (ContactURL)"),
           "cocu", "ContactURL", "Conformance", _contact_url),
    Metric(_spec("exda", "有创建与更新日期（Date）", "datasets with creation and modification dates (Date)"),
           "exda", "Date", "Existence", _date),
    Metric(_spec("coda", "日期格式有效（DateFormat）", "dates in a valid format (DateFormat)"),
           "coda", "DateFormat", "Conformance", _date_format),
    Metric(_spec("exdi", "有标题、描述和关键词（Discovery）", "title, description and keywords present (Discovery)"),
           "exdi", "Discovery", "Existence", _discovery),
    Metric(_spec("cofo", "格式或媒体类型已在 IANA 注册（FileFormat）", "formats registered with IANA (FileFormat)"),
           "cofo", "FileFormat", "Conformance", _file_format),
    Metric(_spec("coli", "许可协议可对应 opendefinition.org 列表（License）",
                 "licences mapped to the opendefinition.org list (License)"),
           "coli", "License", "Conformance", _licence_mapped),
    Metric(_spec("opma", "格式机器可读（MachineRead）", "machine-readable formats (MachineRead)"),
           "opma", "MachineRead", "OpenData", _flagshare("machine_readable")),
    Metric(_spec("opfo", "格式开放（OpenFormat）", "open formats (OpenFormat)"),
           "opfo", "OpenFormat", "OpenData", _flagshare("non_proprietary")),
    Metric(_spec("opli", "许可协议符合开放定义（OpenLicense）",
                 "licences conforming to the Open Definition (OpenLicense)"),
           "opli", "OpenLicense", "OpenData", _licence_open),
    Metric(_spec("expr", "有格式、大小、更新频度等保存信息（Preservation）",
                 "format, size and update-frequency information (Preservation)"),
           "expr", "Preservation", "Existence", _preservation),
    Metric(_spec("exri", "有许可信息（Rights）", "datasets with licence information (Rights)"),
           "exri", "Rights", "Existence", _rights),
)
# Kept apart so the registry sees each MeasureSpec as a module constant, as in every family module.
SPECS = tuple(m.spec for m in METRICS)
(PW_EXAC, PW_COAC, PW_EXCO, PW_COCE, PW_COCU, PW_EXDA, PW_CODA, PW_EXDI, PW_COFO, PW_COLI, PW_OPMA, PW_OPFO, PW_OPLI,
 PW_EXPR, PW_EXRI) = SPECS


class PortalWatchPass:
    """The 15 metrics over a stream of record batches (see checks.per_dataset.run_passes)."""

    def __init__(self) -> None:
        self.frames = Frames([(m.code, m.value) for m in METRICS])

    def add(self, batch: list[DatasetRecord]) -> None:
        self.frames.add(batch)

    def result(self) -> FamilyResult:
        result = FamilyResult(FAMILY)
        frame = self.frames.frame()
        for metric in METRICS:
            add_mean(result, metric.spec, frame[metric.code], self.frames.titles, iri=metric.iri, code=metric.code,
                     dimension=metric.dimension)
        return result


def evaluate(records: Iterable[DatasetRecord]) -> FamilyResult:
    (result,) = run_passes(records, [PortalWatchPass()])
    return result
