"""The catalogue of one harvest as DataFrames: one row per dataset, one per distribution, column-wise."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
import pandas as pd
from sqlalchemy import select

from harvester.store import DistributionRow, HarvestRecordRow, HarvestRow, RecordRow, Store

HISTORY_HARVESTS = 12  # how many earlier complete harvests the observed cadence looks back over

DATASET_COLUMNS = (
    RecordRow.native_id, RecordRow.title, RecordRow.publisher, RecordRow.department,
    RecordRow.description_length, RecordRow.categories, RecordRow.keywords, RecordRow.frequency_raw,
    RecordRow.frequency, RecordRow.issued, RecordRow.modified, RecordRow.data_modified, RecordRow.licence,
    RecordRow.open_type,
    RecordRow.fields_count, RecordRow.fields_typed, RecordRow.distributions_count,
    RecordRow.formats, RecordRow.has_api, RecordRow.record_count, RecordRow.views, RecordRow.downloads,
    RecordRow.api_calls, RecordRow.problems,
)


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


def _decode_json_column(column: pd.Series) -> pd.Series:
    """Decode each distinct JSON text once: category and format lists repeat across most of a catalogue."""
    decoded = {text: orjson.loads(text) for text in pd.unique(column)}
    return column.map(decoded.__getitem__)


def _read(conn: Any, query: Any) -> pd.DataFrame:
    """On SQLite, pandas reads through the driver connection: a third faster than through SQLAlchemy rows."""
    if conn.dialect.name == "sqlite":
        compiled = query.compile(dialect=conn.dialect)
        params = [compiled.params[name] for name in compiled.positiontup]
        return pd.read_sql_query(str(compiled), conn.connection.driver_connection, params=params)
    return pd.read_sql(query, conn)


def load_catalogue(
    store: Store, harvest_id: int, portal: dict[str, Any], *, with_distributions: bool = True
) -> Catalogue:
    """Read a harvest's flat record columns straight from SQL; nested lists stay small JSON texts.

    The distribution rows (ten per dataset on many portals) are only read when links or files are checked:
    the metadata families work from the per-dataset `formats` and `has_api` columns.
    """
    harvest = store.harvest(harvest_id)
    membership = HarvestRecordRow.harvest_id == harvest_id
    dataset_query = (
        select(*DATASET_COLUMNS)
        .join(HarvestRecordRow, HarvestRecordRow.record_hash == RecordRow.hash)
        .where(membership)
    )
    distribution_query = (
        select(
            HarvestRecordRow.native_id, DistributionRow.position, DistributionRow.url, DistributionRow.title,
            DistributionRow.format_raw, DistributionRow.format, DistributionRow.media_type,
            DistributionRow.byte_size, DistributionRow.is_api,
        )
        .join(HarvestRecordRow, HarvestRecordRow.record_hash == DistributionRow.record_hash)
        .where(membership)
    )
    with store.engine.connect() as conn:
        datasets = _read(conn, dataset_query)
        distributions = (_read(conn, distribution_query) if with_distributions
                         else pd.DataFrame(columns=[c.name for c in distribution_query.selected_columns]))
    for column in ("categories", "keywords", "problems", "formats"):
        datasets[column] = _decode_json_column(datasets[column])
    datasets = datasets.set_index("native_id", drop=False)
    datasets.index.name = "dataset"
    for column in ("views", "downloads", "api_calls", "record_count"):
        datasets[column] = datasets[column].astype("Int64")
    datasets["has_api"] = datasets["has_api"].astype(bool)
    distributions["is_api"] = distributions["is_api"].astype(bool)
    return Catalogue(
        history=_history(store, harvest),
        harvest_id=harvest_id,
        portal=portal,
        harvested_at=harvest.started_at,
        info=harvest.info or {},
        datasets=datasets,
        distributions=distributions,
    )


def _history(store: Store, harvest: HarvestRow) -> pd.DataFrame:
    """What each dataset's `modified` was in the portal's earlier complete harvests (newest first)."""
    earlier = (
        select(HarvestRow.id, HarvestRow.started_at)
        .where(HarvestRow.portal_id == harvest.portal_id, HarvestRow.status == "complete",
               HarvestRow.id < harvest.id)
        .order_by(HarvestRow.id.desc())
        .limit(HISTORY_HARVESTS)
        .subquery()
    )
    query = (
        select(HarvestRecordRow.native_id, earlier.c.started_at.label("harvested_at"), RecordRow.modified)
        .join(earlier, earlier.c.id == HarvestRecordRow.harvest_id)
        .join(RecordRow, RecordRow.hash == HarvestRecordRow.record_hash)
    )
    with store.engine.connect() as conn:
        return pd.read_sql(query, conn)
