"""The checks' own tables: measures, findings and scores per harvest, link checks per URL, sampled-file reports.

They sit in the store's database beside the harvester's tables (one schema, one set of migrations), but only the
checks and the reports that show their results read or write them, through `Results`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Boolean, DateTime, Float, ForeignKey, Integer, String, Text, insert, select
from sqlalchemy.orm import Mapped, mapped_column

from harvester.store import Base, JSONDocument, Store, utcnow


class MeasureRow(Base):
    __tablename__ = "measures"
    harvest_id: Mapped[int] = mapped_column(ForeignKey("harvests.id"), primary_key=True)
    measure_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    family: Mapped[str] = mapped_column(String(40))
    value: Mapped[float | None] = mapped_column(Float)
    detail: Mapped[dict] = mapped_column(JSONDocument, default=dict)


class FindingRow(Base):
    __tablename__ = "findings"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    harvest_id: Mapped[int] = mapped_column(ForeignKey("harvests.id"), index=True)
    family: Mapped[str] = mapped_column(String(40))
    measure_id: Mapped[str] = mapped_column(String(80))
    native_id: Mapped[str | None] = mapped_column(Text)
    title: Mapped[str | None] = mapped_column(Text)
    code: Mapped[str | None] = mapped_column(String(80))  # the finding type (checks.findings); None before 0004
    values: Mapped[dict | None] = mapped_column(JSONDocument)  # what fills the type's templates
    message: Mapped[str] = mapped_column(Text)  # the English text, rendered when the finding was stored


class ScoreRow(Base):
    __tablename__ = "scores"
    harvest_id: Mapped[int] = mapped_column(ForeignKey("harvests.id"), primary_key=True)
    system_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    level: Mapped[str] = mapped_column(String(40))
    composite: Mapped[float | None] = mapped_column(Float)
    tier: Mapped[str | None] = mapped_column(String(20))
    result: Mapped[dict] = mapped_column(JSONDocument)


class LinkCheckRow(Base):
    __tablename__ = "link_checks"
    url: Mapped[str] = mapped_column(Text, primary_key=True)
    checked_at: Mapped[datetime] = mapped_column(DateTime)
    status: Mapped[int | None] = mapped_column(Integer)
    alive: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str | None] = mapped_column(Text)
    content_type: Mapped[str | None] = mapped_column(Text)
    final_url: Mapped[str | None] = mapped_column(Text)


class FileReportRow(Base):
    """The validation report of one sampled data file."""

    __tablename__ = "file_reports"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    harvest_id: Mapped[int] = mapped_column(ForeignKey("harvests.id"), index=True)
    native_id: Mapped[str] = mapped_column(Text)
    url: Mapped[str] = mapped_column(Text)
    valid: Mapped[bool | None] = mapped_column(Boolean)
    report: Mapped[dict] = mapped_column(JSONDocument)


class Results:
    """Read and write the checks' results in a store's database."""

    def __init__(self, store: Store) -> None:
        self.engine = store.engine

    def save_file_reports(self, harvest_id: int, reports: Sequence[dict[str, Any]]) -> None:
        with self.engine.begin() as conn:
            conn.execute(FileReportRow.__table__.delete().where(FileReportRow.harvest_id == harvest_id))
            if reports:
                conn.execute(insert(FileReportRow), [
                    {"harvest_id": harvest_id, "native_id": r["native_id"], "url": r["url"], "valid": r.get("valid"),
                     "report": r} for r in reports
                ])

    def file_reports(self, harvest_id: int) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(FileReportRow.report).where(FileReportRow.harvest_id == harvest_id).order_by(FileReportRow.id)
            ).scalars()
            return list(rows)

    # -- measures, findings, scores -------------------------------------------------------------
    def save_assessment(
        self, harvest_id: int, measures: Sequence[dict[str, Any]], findings: Sequence[dict[str, Any]]
    ) -> None:
        with self.engine.begin() as conn:
            conn.execute(MeasureRow.__table__.delete().where(MeasureRow.harvest_id == harvest_id))
            conn.execute(FindingRow.__table__.delete().where(FindingRow.harvest_id == harvest_id))
            if measures:
                conn.execute(insert(MeasureRow), [{"harvest_id": harvest_id, **m} for m in measures])
            if findings:
                conn.execute(insert(FindingRow), [{"harvest_id": harvest_id, **f} for f in findings])

    def measures(self, harvest_id: int) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(MeasureRow.__table__).where(MeasureRow.harvest_id == harvest_id)).mappings()
            return [dict(r) for r in rows]

    def findings(self, harvest_id: int) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(FindingRow.__table__).where(FindingRow.harvest_id == harvest_id).order_by(FindingRow.id)
            ).mappings()
            return [dict(r) for r in rows]

    def save_score(self, harvest_id: int, system_id: str, level: str, result: dict[str, Any]) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                ScoreRow.__table__.delete().where(ScoreRow.harvest_id == harvest_id, ScoreRow.system_id == system_id)
            )
            conn.execute(
                insert(ScoreRow).values(
                    harvest_id=harvest_id, system_id=system_id, level=level,
                    composite=result.get("composite"), tier=result.get("tier"), result=result,
                )
            )

    def scores(self, harvest_id: int) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(ScoreRow.__table__).where(ScoreRow.harvest_id == harvest_id)).mappings()
            return [dict(r) for r in rows]

    # -- link checks -----------------------------------------------------------------------------
    def fresh_link_checks(self, urls: Iterable[str], max_age_days: float) -> dict[str, dict[str, Any]]:
        """Link results young enough to reuse instead of asking the host again."""
        cutoff = utcnow() - timedelta(days=max_age_days)
        found: dict[str, dict[str, Any]] = {}
        url_list = list(urls)
        with self.engine.connect() as conn:
            for start in range(0, len(url_list), 500):
                chunk = url_list[start : start + 500]
                rows = conn.execute(
                    select(LinkCheckRow.__table__).where(
                        LinkCheckRow.url.in_(chunk), LinkCheckRow.checked_at >= cutoff
                    )
                ).mappings()
                found.update({r["url"]: dict(r) for r in rows})
        return found

    def save_link_checks(self, results: Sequence[dict[str, Any]]) -> None:
        if not results:
            return
        with self.engine.begin() as conn:
            urls = [r["url"] for r in results]
            for start in range(0, len(urls), 500):
                conn.execute(LinkCheckRow.__table__.delete().where(LinkCheckRow.url.in_(urls[start : start + 500])))
            conn.execute(insert(LinkCheckRow), [{"checked_at": utcnow(), **r} for r in results])
