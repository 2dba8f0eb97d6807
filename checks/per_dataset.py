"""Metrics valued per dataset in [0, 1] (None where one does not apply), averaged over a catalogue's datasets.

Portal Watch's metrics and the MQA's indicators are defined this way; both families compute through here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

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
