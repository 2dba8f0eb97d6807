"""The indicators of data.europa.eu's Metadata Quality Assessment (MQA), per dataset, for the `eu-mqa` profile.

Dataset-level indicators pass or fail; distribution-level ones are the share of the dataset's distributions that
pass, except interoperability, where the best distribution counts (MQA's rule). The portal's value is the mean over
datasets; the profile turns the means into MQA points (405 in all).

"From vocabulary" is read as MQA checks it — the value is an IRI of the controlled vocabulary (EU file types, IANA
media types, EU licences, EU access rights). The lenient reading (a literal such as "CSV" or "text/csv" that names a
vocabulary entry) is measured beside it, labelled, and not scored. URL answers come from odq's link checks; a URL
that was not checked is unknown, never a failure.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping

from checks import shacl
from checks.findings import FindingType
from checks.measures import MAX_FINDINGS_PER_MEASURE, FamilyResult, MeasureSpec
from checks.per_dataset import Frames, PerDataset, add_mean, best, run_passes, share
from harvester.records import DatasetRecord, Distribution
from harvester.vocab import format_info, normalise_format

FAMILY = "mqa"
EU = "http://publications.europa.eu/resource/authority/"
FILE_TYPE, LICENCE, ACCESS_RIGHT = EU + "file-type/", EU + "licence/", EU + "access-right/"
IANA = ("https://www.iana.org/assignments/media-types/", "http://www.iana.org/assignments/media-types/")
# The EU access-right authority table's codes (publications.europa.eu/resource/authority/access-right).
ACCESS_RIGHTS = ("PUBLIC", "RESTRICTED", "NON_PUBLIC", "CONFIDENTIAL", "NORMAL", "SENSITIVE")
NOT_MAPPED = "not assessed: odq's record model has no field for it yet"
MQA_DCAT_AP_VERSION = "2.1.1"  # the release data.europa.eu's MQA validated against in 2021–2024
SHACL_PER_FINDING = 5


def _spec(key: str, zh: str, en: str) -> MeasureSpec:
    return MeasureSpec(f"mqa_{key}", FAMILY, "share", zh, en, good="high")


KEYWORD = _spec("keyword", "有关键词的数据集占比（MQA）", "datasets with keywords (MQA)")
THEME = _spec("theme", "有主题分类的数据集占比（MQA）", "datasets with a theme (MQA)")
SPATIAL = _spec("spatial", "有空间范围的数据集占比（MQA）", "datasets with spatial coverage (MQA)")
TEMPORAL = _spec("temporal", "有时间范围的数据集占比（MQA）", "datasets with temporal coverage (MQA)")
ACCESS_ANSWERS = _spec("access_url_answers", "访问地址可访问（2xx/3xx）的资源占比（MQA）",
                       "distributions whose access URL answers 2xx/3xx (MQA)")
DOWNLOAD_URL = _spec("download_url", "有下载地址的资源占比（MQA）", "distributions with a download URL (MQA)")
DOWNLOAD_ANSWERS = _spec("download_url_answers", "下载地址可访问的资源占比（MQA）",
                         "distributions whose download URL answers 2xx/3xx (MQA)")
FORMAT = _spec("format", "声明了格式（MQA，取最佳资源）", "a format declared (MQA, best distribution)")
MEDIA_TYPE = _spec("media_type", "声明了媒体类型（MQA，取最佳资源）", "a media type declared (MQA, best distribution)")
FORMAT_VOCABULARY = _spec("format_vocabulary", "格式或媒体类型取自受控词表（IRI，MQA）",
                          "format or media type from the vocabulary, as an IRI (MQA)")
FORMAT_VOCABULARY_LENIENT = _spec("format_vocabulary_lenient", "格式或媒体类型可对应受控词表（宽松读法，不计分）",
                                  "format or media type naming a vocabulary entry (lenient reading, not scored)")
NON_PROPRIETARY = _spec("non_proprietary", "非专有格式（MQA，取最佳资源）", "a non-proprietary format (MQA)")
MACHINE_READABLE = _spec("machine_readable", "机器可读格式（MQA，取最佳资源）", "a machine-readable format (MQA)")
DCAT_AP = _spec("dcat_ap_compliant", "符合 DCAT-AP（MQA）", "DCAT-AP compliant (MQA)")
# The shapes' messages are pySHACL's and the shapes' own English: shown as written.
DCAT_AP_VIOLATIONS = FindingType("dcat-ap-violations", "odq's DCAT-AP {version} rendering violates: {violations}",
                                 "评估工具生成的 DCAT-AP {version} 描述违反以下约束：{violations}",
                                 portal_text=frozenset({"violations"}))
LICENCE_GIVEN = _spec("licence", "有许可协议的数据集占比（MQA）", "datasets with a licence (MQA)")
LICENCE_VOCABULARY = _spec("licence_vocabulary", "许可协议取自欧盟许可词表（IRI，MQA）",
                           "licence from the EU licence vocabulary, as an IRI (MQA)")
ACCESS_RIGHTS_GIVEN = _spec("access_rights", "有访问权限说明的数据集占比（MQA）", "datasets with access rights (MQA)")
ACCESS_RIGHTS_VOCABULARY = _spec("access_rights_vocabulary", "访问权限取自欧盟词表（IRI，MQA）",
                                 "access rights from the EU vocabulary, as an IRI (MQA)")
ACCESS_RIGHTS_LENIENT = _spec("access_rights_vocabulary_lenient", "访问权限可对应欧盟词表（宽松读法，不计分）",
                              "access rights naming an EU vocabulary entry (lenient reading, not scored)")
CONTACT = _spec("contact_point", "有联系方式的数据集占比（MQA）", "datasets with a contact point (MQA)")
PUBLISHER = _spec("publisher", "有发布者的数据集占比（MQA）", "datasets with a publisher (MQA)")
RIGHTS = _spec("rights", "资源有权利声明（MQA）", "distributions with a rights statement (MQA)")
BYTE_SIZE = _spec("byte_size", "资源有文件大小（MQA）", "distributions with a byte size (MQA)")
ISSUED = _spec("issued", "有发布日期的数据集占比（MQA）", "datasets with an issue date (MQA)")
MODIFIED = _spec("modified", "有更新日期的数据集占比（MQA）", "datasets with a modification date (MQA)")


def _has(value: object) -> float:
    return 1.0 if value else 0.0


def _date_given(record: DatasetRecord, name: str) -> float:
    """MQA asks whether dct:issued / dct:modified is given; a value odq could not read as a date ("jeweils
    Montags") is still given — the adapters keep it as a problem, `modified: … is not a date`."""
    if getattr(record, name):
        return 1.0
    return _has([p for p in record.problems if p.startswith(f"{name}: ")])


def _format_iri(d: Distribution) -> bool:
    raw = (d.format_raw or "").strip()
    return raw.startswith(FILE_TYPE) and normalise_format(raw) is not None


def _media_iri(d: Distribution) -> bool:
    return (d.media_type or "").strip().lower().startswith(IANA)


def _names_vocabulary_entry(d: Distribution) -> bool:
    """Lenient: the declared format names an EU file type, or the media type is one odq's vocabulary knows."""
    code = normalise_format(d.format_raw) if d.format_raw else None
    if code and normalise_format(FILE_TYPE + code) == code:
        return True
    info = format_info(normalise_format(None, d.media_type)) if d.media_type else None
    return bool(info and (d.media_type or "").split(";")[0].strip().lower() in info.media_types)


def _access_code(value: str | None) -> str | None:
    text = (value or "").strip()
    tail = text.rsplit("/", 1)[-1].upper().replace("-", "_").replace(" ", "_")
    return tail if tail in ACCESS_RIGHTS else None


def _answers(urls: Iterable[str | None], links: Mapping[str, bool | None]) -> float | None:
    verdicts = [links[u] for u in urls if u and u in links and links[u] is not None]
    return share([bool(v) for v in verdicts])


def judges(links: Mapping[str, bool | None]) -> list[tuple[MeasureSpec, PerDataset]]:
    """Each scored and shown indicator with its per-dataset rule; `links` is the link checks' verdict per URL."""
    def dists(r: DatasetRecord) -> list[Distribution]:
        return r.distributions

    return [
        (KEYWORD, lambda r: _has(r.keywords)),
        (THEME, lambda r: _has([c for c in r.categories if c.dimension == "theme"])),
        (SPATIAL, lambda r: _has(r.spatial)),
        (TEMPORAL, lambda r: _has(r.temporal)),
        # odq checks each distribution's download URL, else its access URL: that is the URL whose answer is known.
        (ACCESS_ANSWERS, lambda r: _answers((d.url for d in dists(r)), links)),
        (DOWNLOAD_URL, lambda r: share([bool(d.download_url) for d in dists(r)])),
        (DOWNLOAD_ANSWERS, lambda r: _answers((d.download_url for d in dists(r)), links)),
        (FORMAT, lambda r: best([bool(d.format_raw or d.format) for d in dists(r)])),
        (MEDIA_TYPE, lambda r: best([bool(d.media_type) for d in dists(r)])),
        (FORMAT_VOCABULARY, lambda r: best([_format_iri(d) or _media_iri(d) for d in dists(r)])),
        (FORMAT_VOCABULARY_LENIENT, lambda r: best([_names_vocabulary_entry(d) for d in dists(r)])),
        (NON_PROPRIETARY, lambda r: best([bool(getattr(format_info(d.format), "non_proprietary", False))
                                          for d in dists(r)])),
        (MACHINE_READABLE, lambda r: best([bool(getattr(format_info(d.format), "machine_readable", False))
                                           for d in dists(r)])),
        (LICENCE_GIVEN, lambda r: _has(r.licence)),
        (LICENCE_VOCABULARY, lambda r: _has((r.licence or "").strip().startswith(LICENCE))),
        (ACCESS_RIGHTS_GIVEN, lambda r: _has(r.access_rights)),
        (ACCESS_RIGHTS_VOCABULARY, lambda r: _has((r.access_rights or "").strip().startswith(ACCESS_RIGHT)
                                                  and _access_code(r.access_rights))),
        (ACCESS_RIGHTS_LENIENT, lambda r: _has(_access_code(r.access_rights))),
        (CONTACT, lambda r: _has(r.contact)),
        (PUBLISHER, lambda r: _has(r.publisher)),
        (BYTE_SIZE, lambda r: share([d.byte_size is not None for d in dists(r)])),
        (ISSUED, lambda r: _date_given(r, "issued")),
        (MODIFIED, lambda r: _date_given(r, "modified")),
    ]


class MqaPass:
    """The MQA indicators over a stream of record batches; SHACL validates each batch's DCAT-AP graph, so neither
    the catalogue nor its graph is ever held whole."""

    def __init__(self, links: Mapping[str, bool | None] | None = None) -> None:
        self.rules = judges(links or {})
        self.frames = Frames([(spec.id, judge) for spec, judge in self.rules])
        self.folder = shacl.shapes_dir()
        self.conformance: shacl.Conformance | None = None
        self.problem = None if self.folder is not None else (
            f"not assessed: the DCAT-AP SHACL shapes are not configured (set {shacl.SHAPES_ENV})")

    def add(self, batch: list[DatasetRecord]) -> None:
        self.frames.add(batch)
        if self.problem is not None or self.folder is None:
            return
        try:
            checked = shacl.validate_records(batch, self.folder, MQA_DCAT_AP_VERSION)
        except shacl.ShapesMissing as exc:
            self.problem = f"not assessed: {exc}"
            return
        self.conformance = checked if self.conformance is None else self.conformance.merged(checked)

    def result(self) -> FamilyResult:
        result = FamilyResult(FAMILY)
        frame = self.frames.frame()
        for spec, _judge in self.rules:
            add_mean(result, spec, frame[spec.id], self.frames.titles)
        if self.problem is not None or self.conformance is None:
            result.value(DCAT_AP, None, reason=self.problem or "no datasets to validate")
        else:
            _dcat_ap(self.conformance, result)
        result.value(RIGHTS, None, reason=NOT_MAPPED + " (dct:rights)")
        return result


def evaluate(records: Iterable[DatasetRecord], links: Mapping[str, bool | None] | None = None) -> FamilyResult:
    (result,) = run_passes(records, [MqaPass(links)], size=shacl.BATCH)
    return result


def _dcat_ap(conformance: shacl.Conformance, result: FamilyResult) -> None:
    """The share of datasets whose DCAT-AP rendering conforms to the 2.1.1 shapes (what the MQA validated)."""
    failing = conformance.failing()
    grouped = shacl.by_dataset(conformance)
    violations = [v for v in conformance.violations if v.severity == "Violation"]
    paths = Counter(v.path for v in violations)
    shapes = Counter(v.shape for v in violations)
    total = conformance.datasets
    result.value(DCAT_AP, 1 - len(failing) / total if total else None, version=conformance.version,
                 datasets=total, failed=len(failing), violations_by_path=dict(paths.most_common(20)),
                 violations_by_shape=dict(shapes.most_common(40)),
                 not_evaluated_offline=[{"shapes": name, "reason": shacl.not_offline_reason(name)}
                                        for name in conformance.not_evaluated],
                 rendering="odq's DCAT-AP rendering of each record")
    for native_id in sorted(failing)[:MAX_FINDINGS_PER_MEASURE]:
        said = [f"{v.path}: {v.message}" for v in grouped[native_id] if v.severity == "Violation"]
        shown = "; ".join(dict.fromkeys(said[:SHACL_PER_FINDING]))
        result.dataset_finding(DCAT_AP, native_id, DCAT_AP_VIOLATIONS(version=conformance.version, violations=shown))
