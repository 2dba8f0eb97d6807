"""The catalogue of one harvest as DataFrames: one row per dataset, one per distribution, column-wise."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pandas as pd

from harvester import frames
from harvester.store import Store

HISTORY_HARVESTS = 12  # how many earlier complete harvests the observed cadence looks back over


@dataclass(slots=True)
class Catalogue:
    harvest_id: int
    portal: dict[str, Any]
    harvested_at: datetime
    info: dict[str, Any]
    datasets: pd.DataFrame  # index: native_id
    distributions: pd.DataFrame  # column native_id links to datasets
    history: pd.DataFrame | None = None  # native_id, harvested_at, modified over earlier complete harvests
    links: pd.DataFrame | None = None  # url, alive, status, reason, content_type (link checks, when run)
    files: list[dict[str, Any]] = field(default_factory=list)  # frictionless reports of sampled files


def load_catalogue(
    store: Store, harvest_id: int, portal: dict[str, Any], *, with_distributions: bool = True
) -> Catalogue:
    """A harvest as the checks see it, read through the harvester's frame API.

    The distribution rows (ten per dataset on many portals) are only read when links or files are checked:
    the metadata families work from the per-dataset `formats` and `has_api` columns.
    """
    harvest = store.harvest(harvest_id)
    return Catalogue(
        history=frames.modified_history(store, harvest_id, HISTORY_HARVESTS),
        harvest_id=harvest_id,
        portal=portal,
        harvested_at=harvest.started_at,
        info=harvest.info or {},
        datasets=frames.datasets(store, harvest_id),
        distributions=frames.distributions(store, harvest_id) if with_distributions else frames.no_distributions(),
    )
