"""Metrics valued per dataset in [0, 1] (None where one does not apply), averaged over a catalogue's datasets.

Portal Watch's metrics and the MQA's indicators are defined this way; both families compute through here.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Sequence
from typing import Protocol

import pandas as pd

from checks.measures import FamilyResult, MeasureSpec
from harvester.records import DatasetRecord

EXAMPLES = 10
PerDataset = Callable[[DatasetRecord], float | None]


def share(flags: Sequence[bool]) -> float | None:
    return sum(flags) / len(flags) if flags else None


def best(flags: Sequence[bool]) -> float | None:
    """The best distribution counts (MQA's rule for interoperability): 1 when any passes."""
    return float(any(flags)) if flags else None


def value_frame(records: Iterable[DatasetRecord], metrics: Sequence[tuple[str, PerDataset]]
                ) -> tuple[pd.DataFrame, dict[str, str]]:
    """One row per dataset, one float column per metric (NaN where it does not apply), and the titles."""
    rows: dict[str, list[float | None]] = {}
    titles: dict[str, str] = {}
    for record in records:
        rows[record.native_id] = [judge(record) for _name, judge in metrics]
        titles[record.native_id] = record.title
    columns = [name for name, _judge in metrics]
    return pd.DataFrame.from_dict(rows, orient="index", columns=columns, dtype="float64"), titles


def add_mean(result: FamilyResult, spec: MeasureSpec, column: pd.Series, titles: dict[str, str],
             **detail: object) -> None:
    """The mean over the datasets the metric applies to, with how many those are and the worst examples."""
    applicable = column.dropna()
    worst = applicable.sort_values(kind="stable").head(EXAMPLES)
    result.value(spec, float(applicable.mean()) if len(applicable) else None, applicable=int(len(applicable)),
                 examples=[titles[i] for i in worst.index if worst[i] < 1], **detail)


def batches(records: Iterable[DatasetRecord], size: int) -> Iterable[list[DatasetRecord]]:
    iterator = iter(records)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


class RecordPass(Protocol):
    """A family that reads the records: fed batch by batch, so one read of the store serves every such family."""

    def add(self, batch: list[DatasetRecord]) -> None: ...

    def result(self) -> FamilyResult: ...


class Frames:
    """The per-dataset values of a stream of batches, gathered into one frame."""

    def __init__(self, metrics: Sequence[tuple[str, PerDataset]]) -> None:
        self.metrics = metrics
        self.parts: list[pd.DataFrame] = []
        self.titles: dict[str, str] = {}

    def add(self, batch: list[DatasetRecord]) -> None:
        frame, titles = value_frame(batch, self.metrics)
        self.parts.append(frame)
        self.titles.update(titles)

    def frame(self) -> pd.DataFrame:
        return pd.concat(self.parts) if self.parts else value_frame([], self.metrics)[0]


def run_passes(records: Iterable[DatasetRecord], passes: Sequence[RecordPass], size: int = 500) -> list[FamilyResult]:
    """Feed every pass each batch of one read of the records."""
    for batch in batches(records, size):
        for one in passes:
            one.add(batch)
    return [one.result() for one in passes]
