"""The MQA indicators and the eu-mqa profile on hand-built records: each expected value is worked out here by hand
from the published MQA points (Findability 100, Accessibility 100, Interoperability 110, Reusability 75,
Contextuality 20) and its rules (distribution shares; the best distribution for interoperability)."""

from __future__ import annotations

import pytest

from checks import mqa
from checks.scoring import load_system, score
from harvester.records import Category, DatasetRecord, Distribution

FILE_TYPE = "http://publications.europa.eu/resource/authority/file-type/"
CSV_URL, PDF_URL, DEAD_URL = "https://example.org/a.csv", "https://example.org/b.pdf", "https://example.org/gone"


def record(native_id: str, **values) -> DatasetRecord:
    return DatasetRecord(portal_id="p", native_id=native_id, **{"title": native_id, **values})


FULL = record(
    "full", keywords=["k"], categories=[Category("theme", "Environment", FILE_TYPE)], spatial="Zürich",
    temporal="2020-01-01/2020-12-31", licence="http://publications.europa.eu/resource/authority/licence/CC_BY_4_0",
    access_rights="http://publications.europa.eu/resource/authority/access-right/PUBLIC", contact="x@example.org",
    publisher="City", issued="2020-01-01", modified="2021-01-01",
    distributions=[Distribution(access_url=CSV_URL, download_url=CSV_URL, format_raw=FILE_TYPE + "CSV",
                                format="CSV", media_type="text/csv", byte_size=10)],
)
MIXED = record(
    "mixed", keywords=["k"], licence="CC-BY", access_rights="public",
    distributions=[Distribution(access_url=PDF_URL, download_url=PDF_URL, format_raw="pdf", format="PDF"),
                   Distribution(access_url=DEAD_URL, format_raw="CSV", format="CSV", media_type="text/csv")],
)
LINKS = {CSV_URL: True, DEAD_URL: False}  # the PDF's URL was not checked: unknown


def values(*records: DatasetRecord, links=LINKS) -> dict[str, float | None]:
    return {spec.id: value for spec, value, _detail in mqa.evaluate(records, links).values.values()}


def test_indicators_by_hand():
    v = values(FULL, MIXED)
    assert v["mqa_keyword"] == 1.0 and v["mqa_theme"] == 0.5 and v["mqa_spatial"] == 0.5
    # access answers: full 1/1; mixed: PDF unknown (left out), dead URL fails → 0/1.
    assert v["mqa_access_url_answers"] == pytest.approx((1 + 0) / 2)
    assert v["mqa_download_url"] == pytest.approx((1 + 1 / 2) / 2)  # mixed: 1 of its 2 distributions
    assert v["mqa_download_url_answers"] == 1.0  # mixed's only download URL (the PDF) is unknown
    assert v["mqa_machine_readable"] == 1.0  # mixed: the best distribution (CSV) counts
    assert v["mqa_format_vocabulary"] == pytest.approx((1 + 0) / 2)  # "CSV" is a literal, not the EU IRI
    assert v["mqa_format_vocabulary_lenient"] == 1.0  # … but it names the EU file type CSV
    assert v["mqa_licence_vocabulary"] == pytest.approx(1 / 2)
    assert v["mqa_access_rights_vocabulary"] == pytest.approx(1 / 2)
    assert v["mqa_access_rights_vocabulary_lenient"] == 1.0  # "public" names PUBLIC
    assert v["mqa_byte_size"] == pytest.approx((1 + 0) / 2)
    assert v["mqa_dcat_ap_compliant"] is None and v["mqa_rights"] is None  # not measured: unknown, not 0


def test_a_dataset_without_distributions_leaves_the_distribution_indicators_unknown():
    v = values(record("bare"))
    assert v["mqa_download_url"] is None and v["mqa_machine_readable"] is None
    assert v["mqa_keyword"] == 0.0


def test_the_profile_gives_mqa_points_and_leaves_what_odq_cannot_see_out_of_the_maximum():
    system = load_system("eu-mqa")
    measures = [{"measure_id": spec.id, "value": value, "detail": {}}
                for spec, value, _detail in mqa.evaluate([FULL], LINKS).values.values()]
    result = score(system, "city", measures)
    assert result["full_maximum"] == 405
    # DCAT-AP compliance (30) and rights (5) are not measured: an evaluator's check, not 0.
    assert result["known_maximum"] == 405 - 30 - 5
    assert result["total"] == pytest.approx(370)  # FULL passes every measured indicator
    assert result["composite"] == pytest.approx(1.0)
    assert result["tier"] == "优秀"
    findability = next(i for i in result["indicators"] if i["id"] == "findability")
    assert findability["points"] == pytest.approx(100)


def test_the_bands_as_shares_of_the_known_maximum():
    system = load_system("eu-mqa")
    lone = record("lone", keywords=["k"])  # Findability: keyword 30 of 100; nothing else
    measures = [{"measure_id": spec.id, "value": value, "detail": {}}
                for spec, value, _detail in mqa.evaluate([lone], {}).values.values()]
    result = score(system, "city", measures)
    # Measured: findability 100, reusability 75, contextuality 10 (issued, modified; rights unknown, and byte size
    # has no distribution to judge, like all of accessibility and interoperability). Keyword 30 of 185 → Bad.
    assert result["known_maximum"] == pytest.approx(185)
    assert result["total"] == pytest.approx(30)
    assert result["tier"] == "较差"
