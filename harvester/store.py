"""The store: every harvest kept, records stored once per content hash, measures and scores per harvest."""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import zstandard
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    create_engine,
    event,
    func,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from harvester import schema
from harvester.records import DatasetRecord

DEFAULT_DB_ENV = "ODQ_DATABASE_URL"
# A running harvest beats every HEARTBEAT_SECONDS; one silent for LEASE_SECONDS is taken for dead (odq defaults).
HEARTBEAT_SECONDS = 5.0
LEASE_SECONDS = 60.0
HOST = socket.gethostname()


def default_database_url() -> str:
    """ODQ_DATABASE_URL, else a SQLite file under $XDG_DATA_HOME/odq (~/.local/share/odq)."""
    if url := os.environ.get(DEFAULT_DB_ENV):
        return url
    base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "odq"
    base.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{base / 'odq.sqlite'}"


def make_engine(url: str) -> Engine:
    """The engine every store connection goes through (SQLite gets its pragmas and a patient lock wait)."""
    # Several portals may be harvested at once: SQLite writers then wait their turn instead of failing.
    connect_args = {"timeout": 120} if url.startswith("sqlite") else {}
    # orjson for the JSON columns: the stdlib's decoder was most of the time of reading a round's 100k findings.
    engine = create_engine(url, connect_args=connect_args, json_serializer=_json_text, json_deserializer=orjson.loads)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _json_text(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY).decode()


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    pass


# JSON documents: JSONB on PostgreSQL (compared and indexed by value), JSON text on SQLite.
JSONDocument = JSON().with_variant(postgresql.JSONB(), "postgresql")


class PortalRow(Base):
    __tablename__ = "portals"
    id: Mapped[str] = mapped_column(String(120), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    level: Mapped[str] = mapped_column(String(40))
    region: Mapped[str | None] = mapped_column(Text)
    software: Mapped[str] = mapped_column(String(40))
    url: Mapped[str] = mapped_column(Text)
    profile: Mapped[dict] = mapped_column(JSONDocument)
    current_harvest_id: Mapped[int | None] = mapped_column(Integer)


class HarvestRow(Base):
    __tablename__ = "harvests"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    portal_id: Mapped[str] = mapped_column(ForeignKey("portals.id"), index=True)
    started_at: Mapped[datetime] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    # running | complete | partial | failed | suspicious (an empty listing) | interrupted (its process died)
    status: Mapped[str] = mapped_column(String(20))
    mode: Mapped[str] = mapped_column(String(20), default="full")
    datasets: Mapped[int] = mapped_column(Integer, default=0)
    new_records: Mapped[int] = mapped_column(Integer, default=0)
    distributions: Mapped[int] = mapped_column(Integer, default=0)
    errors_count: Mapped[int] = mapped_column(Integer, default=0)
    requests: Mapped[int] = mapped_column(Integer, default=0)
    bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    seconds: Mapped[float] = mapped_column(Float, default=0.0)
    errors: Mapped[list] = mapped_column(JSONDocument, default=list)
    bookmark: Mapped[dict | None] = mapped_column(JSONDocument)
    info: Mapped[dict] = mapped_column(JSONDocument, default=dict)
    # Who runs it, and when it last said it was alive: a dead process's harvest is found and closed.
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime)
    owner_pid: Mapped[int | None] = mapped_column(Integer)
    owner_host: Mapped[str | None] = mapped_column(String(255))


class HarvestLockRow(Base):
    """One row per portal being harvested: taken by an atomic insert, renewed by heartbeats, taken over when its
    lease ran out or its process is gone. Works the same on SQLite and PostgreSQL (no advisory locks)."""

    __tablename__ = "harvest_locks"
    portal_id: Mapped[str] = mapped_column(String(120), primary_key=True)
    owner: Mapped[str] = mapped_column(String(300))
    pid: Mapped[int] = mapped_column(Integer)
    host: Mapped[str] = mapped_column(String(255))
    acquired_at: Mapped[datetime] = mapped_column(DateTime)
    heartbeat_at: Mapped[datetime] = mapped_column(DateTime)
    harvest_id: Mapped[int | None] = mapped_column(Integer)


class RecordRow(Base):
    """One stored version of a dataset; flat columns feed the catalogue DataFrame without decoding JSON."""

    __tablename__ = "records"
    hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    portal_id: Mapped[str] = mapped_column(String(120))
    native_id: Mapped[str] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text)
    publisher: Mapped[str | None] = mapped_column(Text)
    department: Mapped[str | None] = mapped_column(Text)
    description_length: Mapped[int] = mapped_column(Integer)
    categories: Mapped[str] = mapped_column(Text)  # JSON list of [dimension, label]
    keywords: Mapped[str] = mapped_column(Text)  # JSON list
    frequency_raw: Mapped[str | None] = mapped_column(Text)
    frequency: Mapped[str | None] = mapped_column(String(40))
    issued: Mapped[str | None] = mapped_column(String(40))
    modified: Mapped[str | None] = mapped_column(String(40))
    data_modified: Mapped[str | None] = mapped_column(String(40))  # when the data itself changed, where given
    licence: Mapped[str | None] = mapped_column(Text)
    open_type: Mapped[str | None] = mapped_column(Text)
    fields_count: Mapped[int] = mapped_column(Integer)
    fields_typed: Mapped[int] = mapped_column(Integer)
    distributions_count: Mapped[int] = mapped_column(Integer)
    formats: Mapped[str] = mapped_column(Text)  # JSON list of the distinct normalised format codes
    has_api: Mapped[bool] = mapped_column(Boolean)  # any distribution is an API
    views: Mapped[int | None] = mapped_column(BigInteger)
    downloads: Mapped[int | None] = mapped_column(BigInteger)
    api_calls: Mapped[int | None] = mapped_column(BigInteger)
    record_count: Mapped[int | None] = mapped_column(BigInteger)  # rows the portal says the data has
    problems: Mapped[str] = mapped_column(Text)  # JSON list


class RecordBlobRow(Base):
    """The full record and the native JSON of one stored version, kept apart so that the flat record rows stay
    small: an assessment joins a harvest's million rows by hash, and big rows turn that into disk seeks."""

    __tablename__ = "record_blobs"
    hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    document: Mapped[bytes] = mapped_column(LargeBinary)  # zstd(orjson(record without raw))
    raw: Mapped[bytes] = mapped_column(LargeBinary)  # zstd(orjson(native JSON))


class HarvestRecordRow(Base):
    __tablename__ = "harvest_records"
    harvest_id: Mapped[int] = mapped_column(ForeignKey("harvests.id"), primary_key=True)
    native_id: Mapped[str] = mapped_column(Text, primary_key=True)
    record_hash: Mapped[str] = mapped_column(String(64))


class DistributionRow(Base):
    __tablename__ = "distributions"
    record_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str | None] = mapped_column(Text)
    title: Mapped[str | None] = mapped_column(Text)
    format_raw: Mapped[str | None] = mapped_column(Text)
    format: Mapped[str | None] = mapped_column(String(40))
    media_type: Mapped[str | None] = mapped_column(Text)
    byte_size: Mapped[int | None] = mapped_column(BigInteger)
    is_api: Mapped[bool] = mapped_column(Boolean)


Index("ix_harvest_records_hash", HarvestRecordRow.record_hash)


_codecs = threading.local()  # zstd (de)compressors are not thread-safe; one pair per thread


def pack(data: bytes) -> bytes:
    """zstd level 1: about four times faster than zlib at a better ratio, which matters at harvest speed."""
    if not hasattr(_codecs, "compressor"):
        _codecs.compressor = zstandard.ZstdCompressor(level=1)
    return _codecs.compressor.compress(data)


def unpack(blob: bytes) -> Any:
    if not hasattr(_codecs, "decompressor"):
        _codecs.decompressor = zstandard.ZstdDecompressor()
    return orjson.loads(_codecs.decompressor.decompress(blob))


@dataclass(slots=True)
class StoredBatch:
    records: int
    new_records: int
    distributions: int


class Store:
    """Thin persistence API over SQLAlchemy; harvest runs, checks and reports all go through it."""

    def __init__(self, url: str | None = None) -> None:
        self.url = url or default_database_url()
        self.engine: Engine = make_engine(self.url)
        self.lease_seconds = LEASE_SECONDS
        # A fresh database is built by the migrations; any other revision than this odq's is refused in one line.
        schema.ensure(self.engine, self.engine.url.render_as_string(hide_password=True))

    # -- portals ---------------------------------------------------------------------------------
    def upsert_portal(self, profile: dict[str, Any]) -> None:
        values = {
            "name": profile["name"], "level": profile["level"], "region": profile.get("region"),
            "software": profile["software"], "url": profile["url"], "profile": profile,
        }
        # Insert-or-ignore, then update: two processes creating the same portal at once both succeed.
        with self.engine.begin() as conn:
            conn.execute(_insert_ignore(conn, PortalRow.__table__, ["id"]).values(id=profile["id"], **values))
            conn.execute(update(PortalRow).where(PortalRow.id == profile["id"]).values(**values))

    def portal(self, portal_id: str) -> PortalRow | None:
        with Session(self.engine, expire_on_commit=False) as session:
            return session.get(PortalRow, portal_id)

    def portals(self) -> list[Any]:
        with self.engine.connect() as conn:
            return list(conn.execute(select(PortalRow.__table__)).mappings())

    # -- harvests --------------------------------------------------------------------------------
    def begin_harvest(self, portal_id: str, mode: str = "full") -> int:
        now = utcnow()
        with self.engine.begin() as conn:
            result = conn.execute(
                insert(HarvestRow).values(
                    portal_id=portal_id, started_at=now, status="running", mode=mode, errors=[], info={},
                    heartbeat_at=now, owner_pid=os.getpid(), owner_host=HOST,
                )
            )
            return int(result.inserted_primary_key[0])

    # -- one harvest per portal: the lock, its heartbeat, and harvests whose process died --------
    def acquire_harvest_lock(self, portal_id: str, owner: str) -> HarvestLockRow | None:
        """Take the portal's harvest lock for `owner`; None when taken, else the row of whoever holds it.

        An atomic insert-or-ignore decides between two starters; a holder whose lease ran out, or whose process
        is gone from this host, is replaced by a compare-and-set update (only one taker can win it)."""
        for _attempt in range(3):
            now = utcnow()
            with self.engine.begin() as conn:
                # RETURNING says whether this insert happened (rowcount is unreliable with some drivers).
                taken = conn.execute(_insert_ignore(conn, HarvestLockRow.__table__, ["portal_id"]).values(
                    portal_id=portal_id, owner=owner, pid=os.getpid(), host=HOST, acquired_at=now,
                    heartbeat_at=now,
                ).returning(HarvestLockRow.portal_id)).first()
            if taken is not None:
                return None
            with Session(self.engine, expire_on_commit=False) as session:
                holder = session.get(HarvestLockRow, portal_id)
            if holder is None:
                continue  # released between the insert and the read: try again
            if self._dead_reason(holder.heartbeat_at, holder.pid, holder.host, now) is None:
                return holder
            with self.engine.begin() as conn:
                won = conn.execute(
                    update(HarvestLockRow)
                    .where(HarvestLockRow.portal_id == portal_id, HarvestLockRow.owner == holder.owner,
                           HarvestLockRow.heartbeat_at == holder.heartbeat_at)
                    .values(owner=owner, pid=os.getpid(), host=HOST, acquired_at=now, heartbeat_at=now,
                            harvest_id=None)
                ).rowcount
            if won == 1:
                return None
        with Session(self.engine, expire_on_commit=False) as session:
            holder = session.get(HarvestLockRow, portal_id)
        if holder is None:
            raise RuntimeError(f"the harvest lock of {portal_id!r} changed hands too often to take")
        return holder

    def attach_harvest_lock(self, portal_id: str, owner: str, harvest_id: int) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(HarvestLockRow)
                         .where(HarvestLockRow.portal_id == portal_id, HarvestLockRow.owner == owner)
                         .values(harvest_id=harvest_id))

    def heartbeat(self, portal_id: str, owner: str, harvest_id: int | None) -> bool:
        """Renew the lease; False when the lock is no longer this owner's."""
        now = utcnow()
        with self.engine.begin() as conn:
            held = conn.execute(
                update(HarvestLockRow)
                .where(HarvestLockRow.portal_id == portal_id, HarvestLockRow.owner == owner)
                .values(heartbeat_at=now)
            ).rowcount
            if harvest_id is not None:
                conn.execute(update(HarvestRow).where(HarvestRow.id == harvest_id, HarvestRow.status == "running")
                             .values(heartbeat_at=now))
        return held == 1

    def release_harvest_lock(self, portal_id: str, owner: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(HarvestLockRow.__table__.delete().where(
                HarvestLockRow.portal_id == portal_id, HarvestLockRow.owner == owner))

    def harvest_lock(self, portal_id: str) -> HarvestLockRow | None:
        with Session(self.engine, expire_on_commit=False) as session:
            return session.get(HarvestLockRow, portal_id)

    def _dead_reason(self, heartbeat_at: datetime | None, pid: int | None, host: str | None,
                     now: datetime) -> str | None:
        """Why the process behind a lease or a running harvest is taken for dead; None while it looks alive."""
        if host == HOST and pid is not None and not process_alive(pid):
            return f"its process (pid {pid} on {host}) is gone"
        if heartbeat_at is None or now - heartbeat_at > timedelta(seconds=self.lease_seconds):
            since = heartbeat_at.isoformat(timespec="seconds") + "Z" if heartbeat_at else "it started"
            return (f"no heartbeat since {since} (lease of {self.lease_seconds:g} s, an odq default; "
                    f"pid {pid} on {host})")
        return None

    def interrupt_harvest(self, harvest_id: int, reason: str) -> bool:
        """Close a harvest still `running` as interrupted, with the reason and what it stored; False when it was
        already closed."""
        row = self.harvest(harvest_id)
        if row.status != "running":
            return False
        datasets, distributions = self.count_records(harvest_id)
        with self.engine.begin() as conn:
            return bool(conn.execute(
                update(HarvestRow).where(HarvestRow.id == harvest_id, HarvestRow.status == "running").values(
                    status="interrupted", finished_at=utcnow(), datasets=datasets, distributions=distributions,
                    errors=[*(row.errors or []), f"harvest interrupted: {reason}"],
                    errors_count=(row.errors_count or 0) + 1, info={**(row.info or {}), "interrupted": reason},
                )
            ).rowcount)

    def sweep_interrupted(self, portal_id: str) -> list[int]:
        """Close the portal's `running` harvests whose process died: `interrupted`, with the reason and what they
        stored. Called whenever odq touches a portal (harvest, assess, report, status)."""
        now = utcnow()
        with self.engine.connect() as conn:
            running = conn.execute(
                select(HarvestRow.id, HarvestRow.heartbeat_at, HarvestRow.started_at, HarvestRow.owner_pid,
                       HarvestRow.owner_host)
                .where(HarvestRow.portal_id == portal_id, HarvestRow.status == "running")
            ).all()
        closed = []
        for row in running:
            reason = self._dead_reason(row.heartbeat_at or (row.started_at if row.owner_pid is None else None),
                                       row.owner_pid, row.owner_host, now)
            if reason is not None and self.interrupt_harvest(row.id, reason):
                closed.append(row.id)
        return closed

    def add_records(self, harvest_id: int, records: Sequence[DatasetRecord]) -> StoredBatch:
        """Store one batch in one transaction; a record whose content hash is known is not stored again."""
        prepared: dict[str, tuple[DatasetRecord, bytes, bytes]] = {}
        membership: dict[str, str] = {}
        for record in records:
            digest, document, raw = record.content_hash()
            prepared.setdefault(digest, (record, document, raw))
            membership[record.native_id] = digest  # a repeated id within a harvest keeps its last version
        with self.engine.begin() as conn:
            known = set(
                conn.execute(select(RecordRow.hash).where(RecordRow.hash.in_(list(prepared)))).scalars()
            )
            fresh = [(h, *prepared[h]) for h in prepared if h not in known]
            if fresh:
                # Insert-or-ignore: another harvest may store the same version between our read and our write.
                _bulk_insert(conn, RecordRow.__table__, [_record_row(h, r) for h, r, _doc, _raw in fresh],
                             ignore=["hash"])
                _bulk_insert(conn, RecordBlobRow.__table__,
                             [{"hash": h, "document": pack(doc), "raw": pack(raw)} for h, _r, doc, raw in fresh],
                             ignore=["hash"])
                dist_rows = [
                    _distribution_row(h, i, d) for h, r, _doc, _raw in fresh for i, d in enumerate(r.distributions)
                ]
                if dist_rows:
                    _bulk_insert(conn, DistributionRow.__table__, dist_rows, ignore=["record_hash", "position"])
            # Ids seen in an earlier batch of the same harvest are replaced, not duplicated.
            conn.execute(
                HarvestRecordRow.__table__.delete().where(
                    HarvestRecordRow.harvest_id == harvest_id,
                    HarvestRecordRow.native_id.in_(list(membership)),
                )
            )
            _bulk_insert(
                conn, HarvestRecordRow.__table__,
                [{"harvest_id": harvest_id, "native_id": n, "record_hash": h} for n, h in membership.items()],
            )
        return StoredBatch(
            records=len(membership),
            new_records=len(fresh),
            distributions=sum(len(prepared[h][0].distributions) for h in membership.values()),
        )

    def carry_forward(self, harvest_id: int, from_harvest_id: int) -> int:
        """Link the records of an earlier harvest that this (incremental) harvest did not list again."""
        listed = select(HarvestRecordRow.native_id).where(HarvestRecordRow.harvest_id == harvest_id)
        earlier = select(
            literal(harvest_id), HarvestRecordRow.native_id, HarvestRecordRow.record_hash
        ).where(HarvestRecordRow.harvest_id == from_harvest_id, HarvestRecordRow.native_id.not_in(listed))
        with self.engine.begin() as conn:
            result = conn.execute(
                insert(HarvestRecordRow).from_select(["harvest_id", "native_id", "record_hash"], earlier)
            )
        return int(result.rowcount or 0)

    def finish_harvest(self, harvest_id: int, *, status: str, **values: Any) -> None:
        """Close a harvest; only a complete one becomes the portal's current harvest."""
        with self.engine.begin() as conn:
            conn.execute(
                update(HarvestRow)
                .where(HarvestRow.id == harvest_id)
                .values(status=status, finished_at=utcnow(), **values)
            )
            if status == "complete":
                portal_id = conn.execute(
                    select(HarvestRow.portal_id).where(HarvestRow.id == harvest_id)
                ).scalar_one()
                conn.execute(update(PortalRow).where(PortalRow.id == portal_id).values(current_harvest_id=harvest_id))

    def harvest(self, harvest_id: int) -> HarvestRow:
        with Session(self.engine, expire_on_commit=False) as session:
            row = session.get(HarvestRow, harvest_id)
        if row is None:
            raise LookupError(f"no harvest #{harvest_id}")
        return row

    def current_harvest(self, portal_id: str) -> HarvestRow | None:
        """The portal's last complete harvest (a partial, failed or interrupted one never replaces it)."""
        self.sweep_interrupted(portal_id)
        portal = self.portal(portal_id)
        if portal is None or portal.current_harvest_id is None:
            return None
        return self.harvest(portal.current_harvest_id)

    def harvests(self, portal_id: str) -> list[HarvestRow]:
        self.sweep_interrupted(portal_id)
        with Session(self.engine, expire_on_commit=False) as session:
            return list(session.scalars(
                select(HarvestRow).where(HarvestRow.portal_id == portal_id).order_by(HarvestRow.id)
            ))

    def count_records(self, harvest_id: int) -> tuple[int, int]:
        """(datasets, distributions) linked to a harvest."""
        with self.engine.connect() as conn:
            datasets = conn.execute(
                select(func.count()).where(HarvestRecordRow.harvest_id == harvest_id)
            ).scalar_one()
            distributions = conn.execute(
                select(func.coalesce(func.sum(RecordRow.distributions_count), 0))
                .join(HarvestRecordRow, HarvestRecordRow.record_hash == RecordRow.hash)
                .where(HarvestRecordRow.harvest_id == harvest_id)
            ).scalar_one()
        return int(datasets), int(distributions)

    def records(self, harvest_id: int, *, with_raw: bool = False) -> Iterator[DatasetRecord]:
        """Stream the records of a harvest back as record objects."""
        columns = [RecordBlobRow.document, RecordBlobRow.raw] if with_raw else [RecordBlobRow.document]
        query = (
            select(*columns)
            .join(HarvestRecordRow, HarvestRecordRow.record_hash == RecordBlobRow.hash)
            .where(HarvestRecordRow.harvest_id == harvest_id)
            .order_by(HarvestRecordRow.native_id)
        )
        with self.engine.connect() as conn:
            for row in conn.execution_options(stream_results=True, yield_per=2000).execute(query):
                data = unpack(row[0])
                data["raw"] = unpack(row[1]) if with_raw else None
                yield DatasetRecord.from_dict(data)

    def documents(self, harvest_id: int, native_ids: Iterable[str], *,
                  with_raw: bool = False) -> dict[str, dict[str, Any]]:
        """The stored record documents of some datasets of a harvest (with_raw: and the native JSON as "raw")."""
        ids = list(native_ids)
        found: dict[str, dict[str, Any]] = {}
        raw = [RecordBlobRow.raw] if with_raw else []
        with self.engine.connect() as conn:
            for start in range(0, len(ids), 500):
                rows = conn.execute(
                    select(HarvestRecordRow.native_id, RecordBlobRow.document, *raw)
                    .join(RecordBlobRow, HarvestRecordRow.record_hash == RecordBlobRow.hash)
                    .where(HarvestRecordRow.harvest_id == harvest_id,
                           HarvestRecordRow.native_id.in_(ids[start : start + 500]))
                )
                for row in rows:
                    document = unpack(row[1])
                    if with_raw:
                        document["raw"] = unpack(row[2])
                    found[row[0]] = document
        return found



def _bulk_insert(conn: Any, table: Any, rows: list[dict[str, Any]], ignore: list[str] | None = None) -> None:
    """executemany of plain rows; on SQLite straight through the driver, skipping per-row parameter processing
    (a third of harvest time). Column names come from our own tables, never from portal content.

    `ignore`: the primary key columns on which a row already there is kept (insert-or-ignore)."""
    if not rows:
        return
    if conn.dialect.name != "sqlite":
        conn.execute(_insert_ignore(conn, table, ignore) if ignore else insert(table), rows)
        return
    columns = list(rows[0])
    verb = "INSERT OR IGNORE" if ignore else "INSERT"
    sql = f"{verb} INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"  # noqa: S608
    conn.exec_driver_sql(sql, [tuple(row[c] for c in columns) for row in rows])


def _insert_ignore(conn: Any, table: Any, keys: list[str]) -> Any:
    """INSERT ... ON CONFLICT (keys) DO NOTHING in the connection's dialect."""
    name = conn.dialect.name
    if name == "sqlite":
        return sqlite.insert(table).on_conflict_do_nothing(index_elements=keys)
    if name == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing(index_elements=keys)
    raise NotImplementedError(f"the store supports SQLite and PostgreSQL, not {name}")


def process_alive(pid: int) -> bool:
    """Whether a process of this host still runs (a zombie, killed but not yet reaped, counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # PermissionError: alive, someone else's
        return True
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state not in ("Z", "X")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA wal_autocheckpoint=10000")  # fewer checkpoints while a harvest streams in
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _record_row(digest: str, record: DatasetRecord) -> dict[str, Any]:
    usage = record.usage
    return {
        "hash": digest,
        "portal_id": record.portal_id,
        "native_id": record.native_id,
        "title": record.title,
        "publisher": record.publisher,
        "department": record.department,
        "description_length": len(record.description or ""),
        "categories": orjson.dumps([[c.dimension, c.label] for c in record.categories]).decode(),
        "keywords": orjson.dumps(record.keywords).decode(),
        "frequency_raw": record.frequency_raw,
        "frequency": record.frequency,
        "issued": record.issued,
        "modified": record.modified,
        "data_modified": record.data_modified,
        "licence": record.licence,
        "open_type": record.open_type,
        "fields_count": len(record.fields),
        "fields_typed": sum(1 for f in record.fields if f.type),
        "distributions_count": len(record.distributions),
        "formats": orjson.dumps(sorted({d.format for d in record.distributions if d.format})).decode(),
        "has_api": any(d.is_api for d in record.distributions),
        "views": usage.views,
        "downloads": usage.downloads,
        "api_calls": usage.api_calls,
        "record_count": record.record_count,
        "problems": orjson.dumps(record.problems).decode(),
    }


def _distribution_row(digest: str, position: int, dist: Any) -> dict[str, Any]:
    return {
        "record_hash": digest,
        "position": position,
        "url": dist.url,
        "title": dist.title,
        "format_raw": dist.format_raw,
        "format": dist.format,
        "media_type": dist.media_type,
        "byte_size": dist.byte_size,
        "is_api": dist.is_api,
    }
