"""Shared check for tests: `odq assess` over a harvested fixture portal yields all six families, consistently."""

from __future__ import annotations

from typing import Any

import pandas as pd

from checks.assess import Assessment, AssessOptions, assess_harvest
from checks.measures import ShareCheck
from checks.results import Results
from harvester.store import Store
from reports.messages import finding_text


def assess_fixture_portal(store: Store, harvest_id: int, portal: dict[str, Any]) -> Assessment:
    """Assess a stored harvest (its replay server is gone, so no link or file checks) and check the result's shape:
    every family measured, every share in [0, 1] or not measurable, every dataset finding naming its dataset."""
    assessment = assess_harvest(store, portal, http=None, harvest_id=harvest_id,
                                options=AssessOptions(check_links=False, validate_files=False))
    families = {m["family"] for m in assessment.measures}
    assert families == {"classification", "fields", "frequency", "formats", "domains", "usage", "conformance",
                        "portalwatch", "mqa"}, families
    for measure in assessment.measures:
        if measure["detail"]["unit"] == "share" and measure["value"] is not None:
            assert 0.0 <= measure["value"] <= 1.0, measure
    datasets = {r.native_id for r in store.records(harvest_id)}
    for finding in assessment.findings:
        if finding["native_id"] is not None:
            assert finding["native_id"] in datasets, finding
    stored = {m["measure_id"] for m in Results(store).measures(harvest_id)}
    assert stored == {m["measure_id"] for m in assessment.measures}
    return assessment


def explained(check: ShareCheck, ids: list[str] | pd.Index) -> pd.Series:
    """Why each of `ids` failed a share check, as the English report says it."""
    index = pd.Index(ids)
    return pd.Series([finding_text(s.row("f", check.spec.id), "en") for s in check.explained(index)], index=index,
                     dtype=object)


def english(finding: dict[str, Any]) -> str:
    """A stored finding as the English report says it."""
    return finding_text(finding, "en")
