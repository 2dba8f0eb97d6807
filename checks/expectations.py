"""Great Expectations suites over the catalogue DataFrame: one suite per family, one expectation per share measure.

The share values in odq's measures are read from the validation results, so GX's own figures and the report
agree by construction (the report shows each expectation's verdict). Great Expectations is imported here only, lazily.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from checks.measures import FamilyResult


@dataclass(slots=True)
class ShareOutcome:
    value: float | None  # passes / applicable datasets
    applicable: int
    failed: int
    success: bool  # the expectation's verdict with its `mostly`


def _quiet_gx() -> None:
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    logging.getLogger("great_expectations").setLevel(logging.ERROR)


def run_suites(families: list[FamilyResult]) -> dict[str, ShareOutcome]:
    """Validate every family's share columns; returns the outcome per measure id."""
    _quiet_gx()
    import great_expectations as gx
    import great_expectations.expectations as gxe

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = {"globally": False}
    source = context.data_sources.add_pandas("odq")
    outcomes: dict[str, ShareOutcome] = {}
    for family in families:
        if not family.shares:
            continue
        # 1.0 pass / 0.0 fail / NaN not applicable: GX counts NaN as "missing", which keeps not-applicable
        # datasets out of the share, and float columns validate several times faster than object ones.
        # A plain RangeIndex: GX validates several times slower over a million string labels.
        frame = pd.DataFrame({c.spec.id: c.passed.astype("boolean").astype("Float64").to_numpy(dtype="float64",
                                                                                                na_value=np.nan)
                              for c in family.shares})
        asset = source.add_dataframe_asset(family.family)
        batch_definition = asset.add_batch_definition_whole_dataframe(f"{family.family}-catalogue")
        suite = context.suites.add(gx.ExpectationSuite(name=f"odq.{family.family}"))
        for check in family.shares:
            suite.add_expectation(
                gxe.ExpectColumnValuesToBeInSet(column=check.spec.id, value_set=[1.0], mostly=check.mostly)
            )
        batch = batch_definition.get_batch(batch_parameters={"dataframe": frame})
        results = batch.validate(suite, result_format="BASIC")  # counts are all the measures need
        for item in results.results:
            outcomes[item.expectation_config.kwargs["column"]] = _outcome(item.result, item.success)
    return outcomes


def _outcome(result: dict[str, Any], success: bool) -> ShareOutcome:
    elements = int(result.get("element_count") or 0)
    missing = int(result.get("missing_count") or 0)
    failed = int(result.get("unexpected_count") or 0)
    applicable = elements - missing
    value = (applicable - failed) / applicable if applicable else None
    return ShareOutcome(value=value, applicable=applicable, failed=failed, success=bool(success))
