"""The read API for a harvest as DataFrames: one row per dataset, one per distribution, and earlier dates.

The store's tables are the harvester's; the checks read a harvest through these functions, never its ORM classes.
Flat columns are read straight from SQL and nested lists stay small JSON texts until decoded here once.
"""

from __future__ import annotations

from typing import Any

import orjson
import pandas as pd
from sqlalchemy import select

from harvester.store import DistributionRow, HarvestRecordRow, HarvestRow, RecordRow, Store

DATASET_COLUMNS = (
    RecordRow.native_id, RecordRow.title, RecordRow.publisher, RecordRow.department,
    RecordRow.description_length, RecordRow.categories, RecordRow.keywords, RecordRow.frequency_raw,
    RecordRow.frequency, RecordRow.issued, RecordRow.modified, RecordRow.data_modified, RecordRow.licence,
    RecordRow.open_type, RecordRow.fields_count, RecordRow.fields_typed, RecordRow.distributions_count,
    RecordRow.formats, RecordRow.has_api, RecordRow.record_count, RecordRow.views, RecordRow.downloads,
    RecordRow.api_calls, RecordRow.problems,
)
DISTRIBUTION_COLUMNS = (
    HarvestRecordRow.native_id, DistributionRow.position, DistributionRow.url, DistributionRow.title,
    DistributionRow.format_raw, DistributionRow.format, DistributionRow.media_type, DistributionRow.byte_size,
    DistributionRow.is_api,
)


def datasets(store: Store, harvest_id: int) -> pd.DataFrame:
    """One row per dataset of the harvest, indexed by native id (index name `dataset`)."""
    frame = _member_rows(store, harvest_id, DATASET_COLUMNS, RecordRow.hash)
    for column in ("categories", "keywords", "problems", "formats"):
        frame[column] = _decode_json_column(frame[column])
    frame = frame.set_index("native_id", drop=False)
    frame.index.name = "dataset"
    for column in ("views", "downloads", "api_calls", "record_count"):
        frame[column] = frame[column].astype("Int64")
    frame["has_api"] = frame["has_api"].astype(bool)
    return frame


def distributions(store: Store, harvest_id: int) -> pd.DataFrame:
    """One row per distribution; column native_id links it to its dataset."""
    frame = _member_rows(store, harvest_id, DISTRIBUTION_COLUMNS, DistributionRow.record_hash, DistributionRow.position)
    frame["is_api"] = frame["is_api"].astype(bool)
    return frame


def no_distributions() -> pd.DataFrame:
    """The distribution frame's columns without rows, for assessments that do not read them."""
    return pd.DataFrame(columns=[c.name for c in DISTRIBUTION_COLUMNS]).astype({"is_api": bool})


def modified_history(store: Store, harvest_id: int, limit: int) -> pd.DataFrame:
    """What each dataset's `modified` was in the portal's `limit` complete harvests before this one."""
    harvest = store.harvest(harvest_id)
    earlier = (
        select(HarvestRow.id, HarvestRow.started_at)
        .where(HarvestRow.portal_id == harvest.portal_id, HarvestRow.status == "complete",
               HarvestRow.id < harvest.id)
        .order_by(HarvestRow.id.desc())
        .limit(limit)
        .subquery()
    )
    query = (
        select(HarvestRecordRow.native_id, earlier.c.started_at.label("harvested_at"), RecordRow.modified)
        .join(earlier, earlier.c.id == HarvestRecordRow.harvest_id)
        .join(RecordRow, RecordRow.hash == HarvestRecordRow.record_hash)
    )
    with store.engine.connect() as conn:
        return pd.read_sql(query, conn)


def _member_rows(store: Store, harvest_id: int, columns: tuple[Any, ...], record_hash: Any, *order: Any
                 ) -> pd.DataFrame:
    """The given columns of the rows (records or distributions) whose record version is in the harvest.

    In dataset order: without it PostgreSQL returns rows in storage order, which differs between two stores of
    the same harvest (a cluster writes portals interleaved), and "the first file of a dataset" would too."""
    query = (
        select(*columns)
        .join(HarvestRecordRow, HarvestRecordRow.record_hash == record_hash)
        .where(HarvestRecordRow.harvest_id == harvest_id)
        .order_by(HarvestRecordRow.native_id, *order)
    )
    with store.engine.connect() as conn:
        return _read(conn, query)


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
