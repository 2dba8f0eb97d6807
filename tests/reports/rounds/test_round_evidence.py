"""The evidence pack for appeals, over a round built from the real Birmingham CKAN listing (plus two datasets whose
titles are a formula and a script) and the real Zhejiang sample: every finding with the landing URL and the raw record
as served, the harvest time, the rule and the values, the evaluator's facts with their evidence links; the same after
a later harvest and after the pinned harvest's findings are replaced; a zip of the same files; an offline page."""

from __future__ import annotations

import copy
import csv
import io
import json
import zipfile

import pytest
from typer.testing import CliRunner

from checks.assess import AssessOptions
from checks.results import Results
from harvester.run import run_harvest
from harvester.store import Store
from odq.pipeline import assess_and_score, make_http
from odq.replay import ReplayServer, catalogue_from_packages
from odq.round_cli import round_app
from reports.rounds.build import create_round
from reports.rounds.evidence import evidence_for, write_evidence
from tests.conftest import ckan_profile, real_fixture
from tests.databases import BACKENDS, fresh_database
from tests.reports.rounds.portals import SAMPLE_OPTIONS, fixture_bytes, harvest_file_portal
from tests.reports.test_browser import PAYLOADS, VIEWPORT, artifacts

SYSTEM = "cstc2019-website"
ROUND = "2021-appeals"
FORMULA = '=HYPERLINK("http://evil.example","x")'
EVIDENCE_URL = "https://www.birmingham.gov.uk/info/20012/your_council/2014/freedom_of_information?a=1&b=2"


def _packages() -> list[dict]:
    envelope = json.loads(real_fixture("ckan_data.birmingham.gov.uk", "package_search_q_purchase_card.json")
                          .read_text(encoding="utf-8"))
    packages = envelope["result"]["results"]
    hostile = []
    for n, title in enumerate((FORMULA, PAYLOADS["title"] + PAYLOADS["img"]), start=1):
        package = copy.deepcopy(packages[1])
        package.update(id=f"hostile-{n}", name=f"hostile-{n}", title=title)
        hostile.append(package)
    return [*packages, *hostile]


def _harvest(store: Store, packages: list[dict]) -> str:
    with ReplayServer(catalogue_from_packages(packages)) as server:
        profile = ckan_profile(server.base, "birmingham", name="Birmingham City Council Open Data")
        http = make_http(profile)
        assert run_harvest(profile, store, http).status == "complete"
        assess_and_score(store, profile, http, AssessOptions(check_links=False, validate_files=False))
        return server.base


@pytest.fixture(scope="module")
def appeal(tmp_path_factory):
    root = tmp_path_factory.mktemp("evidence")
    store = Store(f"sqlite:///{root / 'odq.sqlite'}")
    packages = _packages()
    base = _harvest(store, packages)
    harvest_file_portal(store, "zhejiang", "浙江数据开放", fixture_bytes("zhejiang.jsonl"), SAMPLE_OPTIONS)
    facts = root / "facts.yaml"
    facts.write_text(
        "facts:\n"
        "  - {portal: birmingham, measure: data_request_available, value: true,\n"
        f"     evidence: '{EVIDENCE_URL}', who: 张三, when: '2021-06-30', note: 'FOI form'}}\n", encoding="utf-8")
    create_round(store, ROUND, SYSTEM, facts_path=facts)
    pinned = store.current_harvest("birmingham")
    pinned_findings = Results(store).findings(pinned.id)
    before = evidence_for(store, ROUND, "birmingham")
    folder = write_evidence(before, root / "folder")
    archive = write_evidence(before, root / "pack.zip", "en")

    # Afterwards: a new harvest of a changed catalogue from another address, and the pinned harvest re-assessed
    # into nothing (a re-assessment replaces a harvest's findings). The round's evidence must not move.
    _harvest(store, packages[:3])
    Results(store).save_assessment(pinned.id, [], [])
    after = evidence_for(store, ROUND, "birmingham")
    return {"store": store, "root": root, "packages": packages, "base": base, "pinned": pinned,
            "pinned_findings": pinned_findings, "before": before, "after": after, "folder": folder,
            "zip": archive}


def test_every_finding_names_its_dataset_page_and_keeps_the_record_as_served(appeal):
    pack, packages, base = appeal["before"], appeal["packages"], appeal["base"]
    by_id = {p["id"]: p for p in packages}
    assert len(pack.findings) == len(appeal["pinned_findings"]) > 0
    assert [(f["measure_id"], f["native_id"], f["message"]) for f in pack.findings] == [
        (f["measure_id"], f["native_id"], f["message"]) for f in appeal["pinned_findings"]]
    # Counted from the raw listing: datasets in no CKAN group have no theme category (9 real ones + the 2 copies).
    no_group = {p["id"] for p in packages if not p.get("groups")}
    assert len(no_group) == 11
    assert {f["native_id"] for f in pack.findings if f["measure_id"] == "category_share"} == no_group
    # Every resource of the listing is declared XLS (or nothing), not an open format: every dataset fails.
    assert {r["format"] for p in packages for r in p["resources"]} == {"XLS", ""}
    assert {f["native_id"] for f in pack.findings if f["measure_id"] == "open_format_share"} == set(by_id)
    for finding in pack.findings:
        if finding["native_id"] is None:
            continue
        package = by_id[finding["native_id"]]
        assert finding["landing_url"] == f"{base}/dataset/{package['name']}"  # CKAN's dataset page
        record = json.loads((appeal["folder"] / finding["record_file"]).read_text(encoding="utf-8"))
        assert record["raw"] == package  # the native JSON exactly as the portal served it
        assert record["native_id"] == package["id"] and record["landing_url"] == finding["landing_url"]
        assert record["harvest_id"] == appeal["pinned"].id
    assert len(pack.records) == len(packages)


def test_the_harvest_time_the_rule_and_the_values(appeal):
    pack, pinned = appeal["before"], appeal["pinned"]
    assert pack.harvest["id"] == pinned.id and pack.harvest["status"] == "complete"
    assert pack.harvest["harvested_at"] == pinned.started_at.isoformat(timespec="seconds")
    assert pack.harvest["datasets"] == len(appeal["packages"])
    rules = {r["measure_id"]: r for r in pack.measures}
    api = rules["api_share"]
    # cstc2019-website.yaml: data-quality point 3 scores api_share with the share scorer, full marks at 0.3.
    assert [(p["indicator"], p["point"], p["scorer"], p["parameters"]) for p in api["points"]] == [
        ("data-quality", "3", "share", {"full": 0.3})]
    # A resource in CKAN's datastore is an API: half of the datasets have one, the others are the findings.
    with_api = {p["id"] for p in appeal["packages"] if any(r.get("datastore_active") for r in p["resources"])}
    assert len(with_api) == 6 and api["value"] == 6 / 12
    assert {f["native_id"] for f in pack.findings if f["measure_id"] == "api_share"} == (
        {p["id"] for p in appeal["packages"]} - with_api)
    assert api["failed"] == api["findings_listed"] == 6
    assert api["points"][0]["score"] == 1.0  # the share scorer gives full marks from 0.3 up
    # The timeliness rule's constants as odq published them with the round (checks/frequency.py).
    timely = {p["name"]: (p["value"], p["source"]) for p in rules["timely_share"]["parameters"]}
    assert timely == {"grace_factor": (0.5, "odq-default"), "grace_days": (7, "odq-default")}
    assert pack.portal["composite"] == pack.portal["composite"] is not None and pack.portal["rank"] == 1


def test_the_evaluators_facts_come_with_their_evidence_links(appeal):
    pack = appeal["before"]
    (fact,) = pack.facts
    assert (fact["measure"], fact["value"], fact["evidence"], fact["who"], fact["when"]) == (
        "data_request_available", 1.0, EVIDENCE_URL, "张三", "2021-06-30")
    html = (appeal["folder"] / "index.html").read_text(encoding="utf-8")
    assert f'<a href="{EVIDENCE_URL.replace("&", "&amp;")}" rel="noreferrer noopener">' in html
    with (appeal["folder"] / "facts.csv").open(encoding="utf-8-sig", newline="") as handle:
        (row,) = list(csv.DictReader(handle))
    assert row["evidence"] == EVIDENCE_URL and row["who"] == "张三"


def test_the_evidence_does_not_move_after_a_new_harvest_or_a_reassessment(appeal):
    store, before, after = appeal["store"], appeal["before"], appeal["after"]
    assert store.current_harvest("birmingham").id != appeal["pinned"].id
    assert Results(store).findings(appeal["pinned"].id) == []
    assert after.to_dict() == before.to_dict()
    assert after.portal["url"] == appeal["base"]  # the address the round saw, not the later harvest's


def test_formulas_are_neutralised_and_markup_stays_text(appeal):
    with (appeal["folder"] / "findings.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    titles = {row["title"] for row in rows}
    assert "'" + FORMULA in titles and FORMULA not in titles
    assert all(not v.startswith(("=", "+", "@")) for row in rows for v in row.values())
    html = (appeal["folder"] / "index.html").read_text(encoding="utf-8")
    assert PAYLOADS["title"] not in html and "&lt;script&gt;window.__pwned" in html
    assert "<script" not in html.lower() and "http-equiv=\"Content-Security-Policy\"" in html


def test_the_zip_holds_the_same_files_under_one_folder(appeal):
    with zipfile.ZipFile(appeal["zip"]) as archive:
        names = archive.namelist()
        top = f"evidence-{ROUND}-birmingham/"
        assert all(name.startswith(top) for name in names)
        inside = {name.removeprefix(top) for name in names}
        on_disk = {str(p.relative_to(appeal["folder"])) for p in appeal["folder"].rglob("*") if p.is_file()}
        assert inside == on_disk
        assert json.loads(archive.read(top + "evidence.json")) == json.loads(
            (appeal["folder"] / "evidence.json").read_text(encoding="utf-8"))
        english = archive.read(top + "index.html").decode("utf-8")
        rows = list(csv.DictReader(io.StringIO(archive.read(top + "findings.csv").decode("utf-8-sig"))))
    assert "Evidence for appeals" in english and '<html lang="en">' in english
    assert {row["measure_id"] for row in rows} >= {"category_share", "open_format_share"}


def test_the_cli_writes_a_pack_and_names_what_it_cannot_find(appeal, tmp_path):
    db = appeal["store"].url
    runner = CliRunner()
    made = runner.invoke(round_app, ["evidence", ROUND, "zhejiang", "--out", str(tmp_path / "zj"), "--db", db])
    assert made.exit_code == 0, made.output
    pack = json.loads((tmp_path / "zj" / "evidence.json").read_text(encoding="utf-8"))
    assert pack["portal"]["id"] == "zhejiang" and pack["harvest"]["datasets"] == 3  # three lines in the sample
    missing = runner.invoke(round_app, ["evidence", ROUND, "nowhere", "--out", str(tmp_path / "x"), "--db", db])
    assert missing.exit_code == 2 and "portal 'nowhere' is not in round" in missing.output
    unknown = runner.invoke(round_app, ["evidence", "2030", "birmingham", "--out", str(tmp_path / "x"), "--db", db])
    assert unknown.exit_code == 2 and "no round named '2030'" in unknown.output
    assert not (tmp_path / "x").exists()


def test_the_page_is_offline_and_no_payload_runs(appeal, browser):
    page = browser.load(appeal["folder"] / "index.html")
    page.screenshot(artifacts() / "evidence-zh.png")
    assert page.load.console_errors == [] and page.load.dialogs == []
    assert page.load.foreign_requests() == []
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.evaluate("document.querySelectorAll('script, iframe, object, embed, img').length") == 0
    assert page.evaluate("document.scrollingElement.scrollWidth") <= VIEWPORT
    text = page.evaluate("document.body.textContent")
    assert PAYLOADS["title"] + PAYLOADS["img"] in text and FORMULA in text


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_pinned_findings_and_records_read_back_on_both_databases(backend, tmp_path):
    rows = [json.loads(line) for line in fixture_bytes("zhejiang.jsonl").decode("utf-8").splitlines() if line.strip()]
    with fresh_database(backend, tmp_path) as url:
        store = Store(url)
        try:
            harvest_file_portal(store, "zhejiang", "浙江数据开放", fixture_bytes("zhejiang.jsonl"), SAMPLE_OPTIONS)
            create_round(store, "both", SYSTEM)
            pack = evidence_for(store, "both", "zhejiang")
        finally:
            store.engine.dispose()
    # None of the three sample rows has the 更新频率 (time_pl) the mapping reads: each is a finding.
    assert [row["info"].get("time_pl") for row in rows] == [None, None, None]
    undeclared = [f for f in pack.findings if f["measure_id"] == "frequency_declared_share"]
    assert len(undeclared) == 3
    assert sorted(pack.records[f["native_id"]]["raw"]["name"] for f in undeclared) == sorted(r["name"] for r in rows)
    assert {json.dumps(pack.records[f["native_id"]]["raw"], sort_keys=True) for f in undeclared} == {
        json.dumps(r, sort_keys=True) for r in rows}
