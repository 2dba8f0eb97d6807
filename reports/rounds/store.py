"""The round store: rounds and their pinned portal entries, in their own tables beside the harvest store's."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import DateTime, ForeignKey, Integer, LargeBinary, String, Text, insert, select
from sqlalchemy.orm import Mapped, mapped_column

from harvester.store import Base, JSONDocument, Store, pack, unpack, utcnow


class RoundRow(Base):
    __tablename__ = "rounds"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    system_id: Mapped[str] = mapped_column(String(80), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    previous_round_id: Mapped[int | None] = mapped_column(Integer)  # the last round of the same system before it
    levels: Mapped[list] = mapped_column(JSONDocument)  # the levels asked for; [] means every level
    system: Mapped[dict] = mapped_column(JSONDocument)  # the indicator profile as scored, for the methodology
    # file name, encoding, sha256 and text of the evaluator's facts
    facts: Mapped[dict | None] = mapped_column(JSONDocument)
    info: Mapped[dict] = mapped_column(JSONDocument)  # odq version, the caps in force


class RoundPortalRow(Base):
    """One portal as the round saw it: what was pinned, or why it was not evaluated."""

    __tablename__ = "round_portals"
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), primary_key=True)
    portal_id: Mapped[str] = mapped_column(String(120), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    level: Mapped[str] = mapped_column(String(40))
    group: Mapped[str] = mapped_column(Text)
    region: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))  # evaluated | not-evaluated
    reason: Mapped[str | None] = mapped_column(String(40))  # why not evaluated (see build.REASONS)
    harvest_id: Mapped[int | None] = mapped_column(Integer)
    harvested_at: Mapped[str | None] = mapped_column(String(40))
    datasets: Mapped[int | None] = mapped_column(Integer)
    score: Mapped[dict | None] = mapped_column(JSONDocument)  # the ScoreResult, as used
    measures: Mapped[list] = mapped_column(JSONDocument)  # measure id, family, unit, value, applicable, failed
    findings: Mapped[dict] = mapped_column(JSONDocument)  # per measure id: count and a few examples
    facts: Mapped[list] = mapped_column(JSONDocument)  # the evaluator's facts for this portal, with provenance


class RoundEvidenceRow(Base):
    """What a portal's evidence pack needs beyond the round's numbers, as the round saw it: every finding (a
    re-assessment of the same harvest replaces the harvest's findings, never these) and the portal's address.
    One compressed list per portal keeps a round cheap."""

    __tablename__ = "round_evidence"
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), primary_key=True)
    portal_id: Mapped[str] = mapped_column(String(120), primary_key=True)
    portal: Mapped[dict] = mapped_column(JSONDocument)  # url and software of the profile the harvest used
    findings: Mapped[bytes] = mapped_column(LargeBinary)  # zstd(orjson(list of finding dicts))


@dataclass(slots=True)
class PinnedEvidence:
    portal: dict[str, Any]
    findings: list[dict[str, Any]]




class RoundExists(ValueError):
    pass


class UnknownRound(LookupError):
    pass


@dataclass(slots=True)
class PortalEntry:
    """A pinned portal of a round (the contract between the round store and the results)."""

    portal_id: str
    name: str
    level: str
    group: str
    region: str | None
    status: str
    reason: str | None = None
    harvest_id: int | None = None
    harvested_at: str | None = None
    datasets: int | None = None
    score: dict[str, Any] | None = None
    measures: list[dict[str, Any]] = field(default_factory=list)
    findings: dict[str, Any] = field(default_factory=dict)
    facts: list[dict[str, Any]] = field(default_factory=list)
    # Written with the round, read only by RoundStore.evidence (evidence packs); None = not kept.
    all_findings: list[dict[str, Any]] | None = None
    address: dict[str, Any] = field(default_factory=dict)  # url and software of the portal's profile

    @property
    def evaluated(self) -> bool:
        return self.status == "evaluated"


@dataclass(slots=True)
class Round:
    id: int
    name: str
    system_id: str
    created_at: datetime
    previous_round_id: int | None
    levels: list[str]
    system: dict[str, Any]
    facts: dict[str, Any] | None
    info: dict[str, Any]
    portals: list[PortalEntry]


_ENTRY_COLUMNS = [c.name for c in RoundPortalRow.__table__.columns if c.name != "round_id"]


class RoundStore:
    """Rounds over a harvest store's database; a round is written once and never updated."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.engine = store.engine

    def create(self, *, name: str, system_id: str, levels: list[str], system: dict[str, Any],
               facts: dict[str, Any] | None, info: dict[str, Any], portals: list[PortalEntry]) -> Round:
        with self.engine.begin() as conn:
            if conn.execute(select(RoundRow.id).where(RoundRow.name == name)).first():
                raise RoundExists(f"a round named {name!r} exists already: rounds never change, pick a new name")
            previous = conn.execute(
                select(RoundRow.id).where(RoundRow.system_id == system_id).order_by(RoundRow.id.desc()).limit(1)
            ).scalar()
            round_id = int(conn.execute(insert(RoundRow).values(
                name=name, system_id=system_id, created_at=utcnow(), previous_round_id=previous, levels=levels,
                system=system, facts=facts, info=info,
            )).inserted_primary_key[0])
            if portals:
                conn.execute(insert(RoundPortalRow), [
                    {"round_id": round_id, **{c: getattr(p, c) for c in _ENTRY_COLUMNS}} for p in portals
                ])
            kept = [{"round_id": round_id, "portal_id": p.portal_id, "portal": p.address,
                     "findings": pack(orjson.dumps(p.all_findings))} for p in portals if p.all_findings is not None]
            if kept:
                conn.execute(insert(RoundEvidenceRow), kept)
        return self.get_by_id(round_id)

    def evidence(self, round_id: int, portal_id: str) -> PinnedEvidence | None:
        """Every finding of one portal and its address, as pinned by the round; None when the round did not keep
        them (a round made before evidence packs, or a portal without an assessed harvest)."""
        with self.engine.connect() as conn:
            row = conn.execute(select(RoundEvidenceRow.portal, RoundEvidenceRow.findings).where(
                RoundEvidenceRow.round_id == round_id, RoundEvidenceRow.portal_id == portal_id)).first()
        return None if row is None else PinnedEvidence(portal=dict(row[0] or {}), findings=unpack(row[1]))

    def names(self) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(RoundRow.id, RoundRow.name, RoundRow.system_id, RoundRow.created_at,
                                       RoundRow.levels).order_by(RoundRow.id)).mappings()
            found = [dict(r) for r in rows]
            for row in found:
                entries = conn.execute(select(RoundPortalRow.status).where(RoundPortalRow.round_id == row["id"]))
                statuses = [s for (s,) in entries]
                row["portals"] = len(statuses)
                row["evaluated"] = statuses.count("evaluated")
        return found

    def get(self, name: str) -> Round:
        with self.engine.connect() as conn:
            round_id = conn.execute(select(RoundRow.id).where(RoundRow.name == name)).scalar()
        if round_id is None:
            known = ", ".join(r["name"] for r in self.names()) or "none yet"
            raise UnknownRound(f"no round named {name!r} (rounds: {known}); create it with `odq round create`")
        return self.get_by_id(int(round_id))

    def get_by_id(self, round_id: int) -> Round:
        with self.engine.connect() as conn:
            row = conn.execute(select(RoundRow.__table__).where(RoundRow.id == round_id)).mappings().first()
            if row is None:
                raise UnknownRound(f"no round #{round_id}")
            entries = conn.execute(select(RoundPortalRow.__table__).where(RoundPortalRow.round_id == round_id)
                                   .order_by(RoundPortalRow.portal_id)).mappings()
            portals = [PortalEntry(**{c: e[c] for c in _ENTRY_COLUMNS}) for e in entries]
        return Round(id=row["id"], name=row["name"], system_id=row["system_id"], created_at=row["created_at"],
                     previous_round_id=row["previous_round_id"], levels=list(row["levels"] or []),
                     system=row["system"], facts=row["facts"], info=row["info"] or {}, portals=portals)
