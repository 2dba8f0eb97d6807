"""An evaluator's facts file (YAML or CSV): loaded, validated (file, key or row, expectation), and scored with
its provenance next to the automatic measures."""

from __future__ import annotations

from pathlib import Path

import pytest

from checks.facts import FactsError, load_facts
from checks.scoring import load_system, score
from harvester.profiles import ProfileError

YAML_FACTS = """\
round: 2024-spring
facts:
  - portal: guangxi
    measure: data_request_available
    value: true
    evidence: https://data.gxzf.gov.cn/apply
    note: 申请入口在登录后的个人中心
    who: 张三
    when: 2024-05-01
  - portal: guangxi
    system: cstc2019-website
    indicator: development-use
    point: 2
    value: 0.5
    evidence: https://data.gxzf.gov.cn/stats
    who: 李四
    when: 2024-05-02
  - portal: tokyo
    measure: search_available
    value: false
    evidence: https://catalog.data.metro.tokyo.lg.jp/
    who: 王五
    when: 2024-05-03
"""

CSV_HEADER = "portal,measure,system,indicator,point,value,evidence,note,who,when,override\n"


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def error(path: Path) -> str:
    with pytest.raises(FactsError) as excinfo:
        load_facts(path)
    return str(excinfo.value)


# ---------------------------------------------------------------- reading


def test_yaml_facts_load_with_their_provenance(tmp_path):
    sheet = load_facts(write(tmp_path, "facts.yaml", YAML_FACTS))
    assert sheet.portals() == {"guangxi", "tokyo"}
    request, stats = sheet.for_portal("guangxi")
    assert (request.measure, request.value, request.who, request.when) == (
        "data_request_available", 1.0, "张三", "2024-05-01")
    assert request.note == "申请入口在登录后的个人中心" and request.override is False
    assert request.origin == "facts.yaml key 'facts.0'"
    assert (stats.system, stats.indicator, stats.point, stats.value) == (
        "cstc2019-website", "development-use", "2", 0.5)  # a point id typed as a number is the id "2"
    assert stats.target == "cstc2019-website/development-use/2"
    (tokyo,) = sheet.for_portal("tokyo")
    assert tokyo.value == 0.0


def test_csv_facts_with_a_bom_and_chinese_yes(tmp_path):
    text = (CSV_HEADER
            + "guangxi,data_request_available,,,,是,https://data.gxzf.gov.cn/apply,登录后可见,张三,2024-05-01,\n"
            + "guangxi,,,development-use,1,0.5,https://data.gxzf.gov.cn/apply,,李四,2024-05-02,true\n")
    sheet = load_facts(write(tmp_path, "facts.csv", "\ufeff" + text))
    first, second = sheet.facts
    assert (first.measure, first.value, first.note, first.override) == ("data_request_available", 1.0, "登录后可见", False)
    assert (second.system, second.indicator, second.point, second.override) == (None, "development-use", "1", True)
    assert second.origin == "facts.csv row 3"


def test_csv_in_gb18030_is_read(tmp_path):
    text = CSV_HEADER + "guangxi,catalogue_published,,,,否,https://data.gxzf.gov.cn/,目录页打不开,张三,2024-05-01,\n"
    (fact,) = load_facts(write(tmp_path, "facts.csv", text, encoding="gb18030")).facts
    assert fact.value == 0.0 and fact.note == "目录页打不开"


# ---------------------------------------------------------------- refused, naming file and key or row


def test_misspelled_measure_in_yaml_names_file_key_and_near_id(tmp_path):
    path = write(tmp_path, "facts.yaml", YAML_FACTS.replace("measure: data_request_available",
                                                             "measure: data_reqest_available"))
    assert error(path) == (f"{path}: key 'facts.0.measure': unknown measure 'data_reqest_available' "
                           "(did you mean data_request_available?)")


def test_misspelled_measure_in_csv_names_row_and_column(tmp_path):
    path = write(tmp_path, "facts.csv", CSV_HEADER
                 + "guangxi,serch_available,,,,true,https://x.example/,,张三,2024-05-01,\n")
    assert error(path).startswith(f"{path}: row 2, column 'measure': unknown measure 'serch_available'")


def test_missing_evidence_is_a_schema_error_with_the_key(tmp_path):
    path = write(tmp_path, "facts.yaml", YAML_FACTS.replace("    evidence: https://data.gxzf.gov.cn/apply\n", ""))
    assert f"{path}: key 'facts.0.evidence': a required key is missing" in error(path)


def test_missing_who_in_csv_names_the_row(tmp_path):
    path = write(tmp_path, "facts.csv", CSV_HEADER
                 + "guangxi,search_available,,,,true,https://x.example/,,张三,2024-05-01,\n"
                 + "guangxi,catalogue_published,,,,true,https://x.example/,,,2024-05-01,\n")
    assert f"{path}: row 3, column 'who': a required key is missing" in error(path)


def test_unknown_csv_column_is_refused(tmp_path):
    path = write(tmp_path, "facts.csv", "portal,measure,value,evidence,whom,when\n")
    message = error(path)
    assert message.startswith(f"{path}: row 1, column 'whom': unknown column") and "who" in message


def test_a_header_without_rows_is_refused(tmp_path):
    path = write(tmp_path, "facts.csv", CSV_HEADER)
    assert str(path) in error(path) and "at least 1" in error(path)


def test_evidence_must_be_a_url(tmp_path):
    path = write(tmp_path, "facts.yaml", YAML_FACTS.replace("https://data.gxzf.gov.cn/apply", "see screenshot"))
    assert f"{path}: key 'facts.0.evidence': expected the http(s) URL" in error(path)


@pytest.mark.parametrize(("old", "new", "key", "words"), [
    ("    value: 0.5\n", "    value: 1.5\n", "facts.1.value", "from 0 to 1"),
    ("    value: true\n", "    value: 0.5\n", "facts.0.value", "true or false"),
    ("    when: 2024-05-01\n", "    when: 2024-02-30\n", "facts.0.when", "real date"),
    ("    when: 2024-05-01\n", "    when: last week\n", "facts.0.when", "YYYY-MM-DD"),
    ("    point: 2\n", "    point: 9\n", "facts.1.point", "unknown point '9'"),
    ("    indicator: development-use\n", "    indicator: devlopment-use\n", "facts.1.indicator",
     "unknown indicator"),
    ("    system: cstc2019-website\n", "    system: cstc2020\n", "facts.1.system", "unknown indicator system"),
])
def test_bad_values_and_targets_are_refused(tmp_path, old, new, key, words):
    assert old in YAML_FACTS
    path = write(tmp_path, "facts.yaml", YAML_FACTS.replace(old, new, 1))
    message = error(path)
    assert f"{path}: key '{key}'" in message and words in message


def test_a_share_measure_needs_a_share(tmp_path):
    path = write(tmp_path, "facts.csv", CSV_HEADER + "p,timely_share,,,,2,https://x.example/,,张三,2024-05-01,\n")
    assert "row 2, column 'value': expected a number from 0 to 1 for timely_share (share)" in error(path)


def test_measure_and_point_together_or_neither_are_refused(tmp_path):
    both = YAML_FACTS.replace("    measure: search_available\n", "    measure: search_available\n"
                              "    indicator: open-catalogue\n    point: 2\n")
    message = error(write(tmp_path, "both.yaml", both))
    assert "key 'facts.2': expected either a measure or a point" in message and "not both" in message
    neither = YAML_FACTS.replace("    measure: search_available\n", "")
    assert "got neither" in error(write(tmp_path, "neither.yaml", neither))


def test_the_same_target_twice_for_a_portal_is_refused(tmp_path):
    twice = YAML_FACTS.replace("  - portal: tokyo\n    measure: search_available",
                               "  - portal: guangxi\n    measure: data_request_available")
    message = error(write(tmp_path, "facts.yaml", twice))
    assert "key 'facts.2'" in message and "already given at key 'facts.0'" in message


def test_other_file_kinds_are_refused(tmp_path):
    path = write(tmp_path, "facts.json", "{}")
    assert error(path) == f"{path}: expected a .yaml, .yml or .csv facts file"


def test_facts_errors_are_profile_errors_for_the_cli(tmp_path):
    with pytest.raises(ProfileError):
        load_facts(write(tmp_path, "facts.yaml", "facts: []\n"))


# ---------------------------------------------------------------- scored with provenance


def test_shipped_system_scores_a_file_portal_with_the_evaluators_facts(tmp_path):
    # A file portal: everything measured perfect except the data-request function, which odq cannot see.
    system = load_system("cstc2019-website")
    measures = [{"measure_id": m, "value": v} for m, v in {
        "catalogue_published": 1, "category_share": 1.0, "specific_category_share": 1.0,
        "classification_dimensions": 3, "domain_mapped_category_share": 1.0, "search_available": 1,
        "field_list_share": 1.0, "fields_described_share": 1.0, "frequency_declared_share": 1.0,
        "timely_share": 1.0, "machine_readable_share": 1.0, "open_format_share": 1.0, "api_share": 0.3,
        "links_alive_share": 1.0, "valid_file_share": 1.0, "domains_covered": 12,
        "usage_published_share": 0.0, "downloads_published_share": 0.0, "api_calls_published_share": 0.0,
    }.items()]
    # City 2/2/2: development-use has two points of 1 → 1 point each. Without a fact, point 1 is unknown:
    # total 2 + 2 + 0 = 4 over a known maximum of 5 → 0.8.
    without = score(system, "city", measures)
    assert without["composite"] == 0.8 and without["known_maximum"] == 5 and without["maximum"] == 6
    assert [(n["indicator"], n["point"]) for n in without["needs_check"]] == [("development-use", "1")]
    # The evaluator found the function: 5 over 6 → 0.8333; and scored the statistics point 0.5 from the page:
    # the automatic 0 stands (the fact has no override), so still 5 / 6, with the conflict reported.
    sheet = load_facts(write(tmp_path, "facts.yaml", YAML_FACTS))
    scored = score(system, "city", measures, facts=sheet.for_portal("guangxi"))
    assert scored["composite"] == pytest.approx(5 / 6, abs=1e-4) and scored["needs_check"] == []
    (used,) = scored["facts"]
    assert (used["source"], used["measure"], used["who"], used["evidence"]) == (
        "evaluator", "data_request_available", "张三", "https://data.gxzf.gov.cn/apply")
    (conflict,) = scored["fact_conflicts"]
    assert (conflict["indicator"], conflict["point"], conflict["automatic"], conflict["resolution"]) == (
        "development-use", "2", 0.0, "automatic-stands")
