"""Precision, recall and F1 of the 12-domain classifier on the hand-labelled Beijing/Tianjin development set.

The set (tests/data/domain_devset.csv) holds only record keys and labels; the records are read from the
shared fixtures. Prints a Markdown table (the one in docs/domain-classifier.md).

The set is split in two fixed halves by record key: `tune` (odd keys), the only half the vocabulary may be tuned
on, and `holdout` (even keys), which keeps the tuning honest. `--split all` (the default) scores the whole set and
also prints the macro F1 of each half. The test gates on the holdout half.

`--errors` lists each misclassified record of the split (its text, the gold and predicted domains). Tuning reads
the tune half's errors only: the option refuses `holdout` and `all` (which holds the holdout) unless
`--i-am-done-tuning` says the vocabulary is frozen.

    python bench/eval_domains.py [--split all|tune|holdout] [--errors [--i-am-done-tuning]]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from checks.domains import assign_domains  # noqa: E402
from harvester.vocab import domains  # noqa: E402

SCRAPED = Path(os.environ.get("ODQ_FIXTURES") or ROOT.parent / "shared" / "fixtures") / "real" / \
    "china_provincial_portals_scraped_2021"
DEVSET = ROOT / "tests" / "data" / "domain_devset.csv"
SPLITS = ("all", "tune", "holdout")


def in_split(record_key: int, split: str) -> bool:
    """tune = odd record keys, holdout = even ones, all = both."""
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r} (one of {', '.join(SPLITS)})")
    return split == "all" or (record_key % 2 == 1) == (split == "tune")


def _frame_row(source: str, record: dict) -> dict:
    """The catalogue-frame columns the classifier reads, from one scraped record."""
    parsed = record.get("info_parsed") or {}
    topic = record.get("topic") or parsed.get("资源分类") or ""
    keywords = [k for k in str(parsed.get("关键字说明") or "").replace(";", "；").split("；") if k]
    return {
        "title": record.get("name") or parsed.get("资源名称") or "",
        "department": parsed.get("资源所有权单位"),
        "publisher": None,
        "categories": [["theme", topic]] if topic else [],
        "keywords": keywords,
    }


def load_devset(split: str = "all") -> tuple[pd.DataFrame, pd.DataFrame]:
    """(catalogue frame, gold label frame) indexed alike, one row per labelled record of the split.

    The frame's index is `source:record_key`, so an error names the record it comes from.
    """
    lines = {source: (SCRAPED / f"{source}.normalized.jsonl").read_text(encoding="utf-8").splitlines()
             for source in ("beijing", "tianjin")}
    rows, gold, keys = [], [], []
    with DEVSET.open(encoding="utf-8") as handle:
        for entry in csv.DictReader(handle):
            if not in_split(int(entry["record_key"]), split):
                continue
            record = json.loads(lines[entry["source"]][int(entry["record_key"]) - 1])
            rows.append(_frame_row(entry["source"], record))
            labels = {d for d in entry["domains"].split("|") if d}
            gold.append({d.id: d.id in labels for d in domains()})
            keys.append(f"{entry['source']}:{entry['record_key']}")
    index = pd.Index(keys, name="record")
    return pd.DataFrame(rows, index=index), pd.DataFrame(gold, index=index)


def scores(predicted: pd.DataFrame, gold: pd.DataFrame) -> pd.DataFrame:
    table = []
    for domain in domains():
        p, g = predicted[domain.id], gold[domain.id]
        tp, fp, fn = int((p & g).sum()), int((p & ~g).sum()), int((~p & g).sum())
        precision = tp / (tp + fp) if tp + fp else 1.0
        recall = tp / (tp + fn) if tp + fn else 1.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        table.append({"domain": f"{domain.name_zh} ({domain.id})", "support": int(g.sum()), "tp": tp, "fp": fp,
                      "fn": fn, "precision": precision, "recall": recall, "f1": f1})
    return pd.DataFrame(table)


def evaluate_split(split: str = "all") -> pd.DataFrame:
    """The per-domain score table of the classifier on one split of the dev set."""
    frame, gold = load_devset(split)
    return scores(assign_domains(frame), gold)


def macro_f1(split: str = "all") -> float:
    return float(evaluate_split(split)["f1"].mean())


def errors(frame: pd.DataFrame, predicted: pd.DataFrame, gold: pd.DataFrame) -> list[str]:
    """One line per misclassified record: key, title, category, department, gold, predicted, +FP / -FN."""
    lines = []
    for key in frame.index:
        got = {d for d in predicted.columns if predicted.at[key, d]}
        want = {d for d in gold.columns if gold.at[key, d]}
        if got == want:
            continue
        row = frame.loc[key]
        department = row["department"] if isinstance(row["department"], str) else "-"
        category = "/".join(label for _dimension, label in row["categories"]) or "-"
        lines.append(f"{key}\t{row['title']}\t[{category}]\t{department}\t"
                     f"gold={'|'.join(sorted(want)) or '-'}\tgot={'|'.join(sorted(got)) or '-'}\t"
                     + " ".join([f"+{d}" for d in sorted(got - want)] + [f"-{d}" for d in sorted(want - got)]))
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", choices=SPLITS, default="all",
                        help="tune = odd record keys (tune on these only), holdout = even keys, all = both")
    parser.add_argument("--errors", action="store_true",
                        help="list the split's misclassified records (refused for holdout/all while tuning)")
    parser.add_argument("--i-am-done-tuning", action="store_true",
                        help="allow --errors on the holdout half: the vocabulary will not be changed after this")
    args = parser.parse_args(argv)
    split = args.split
    if args.errors and split != "tune" and not args.i_am_done_tuning:
        parser.error(f"--errors on {split!r} shows held-out records: tune on --split tune only, or add "
                     "--i-am-done-tuning once the vocabulary is frozen")
    frame, gold = load_devset(split)
    predicted = assign_domains(frame)
    table = scores(predicted, gold)
    if args.errors:
        for line in errors(frame, predicted, gold):
            print(line)
        print()
    print(f"{len(frame)} labelled datasets ({split}); macro F1 {table['f1'].mean():.3f}, "
          f"macro precision {table['precision'].mean():.3f}, macro recall {table['recall'].mean():.3f}")
    if split == "all":
        print(f"halves: tune (odd keys) macro F1 {macro_f1('tune'):.3f}, "
              f"holdout (even keys) macro F1 {macro_f1('holdout'):.3f}")
    print("\n| domain | support | TP | FP | FN | precision | recall | F1 |\n|---|---:|---:|---:|---:|---:|---:|---:|")
    for row in table.itertuples():
        print(f"| {row.domain} | {row.support} | {row.tp} | {row.fp} | {row.fn} | {row.precision:.2f} | "
              f"{row.recall:.2f} | {row.f1:.2f} |")


if __name__ == "__main__":
    main()
