"""Domain coverage (3.4.2-4): which of the 12 required domains the catalogue covers, and with how many datasets."""

from __future__ import annotations

import re

import pandas as pd

from checks.catalogue import Catalogue
from checks.classification import subject_labels
from checks.measures import FamilyResult, MeasureSpec
from harvester.vocab import domains

FAMILY = "domains"
COVERAGE = MeasureSpec("domains_covered", FAMILY, "count", "覆盖的重点领域数（共12个）",
                       "required domains covered (of 12)", point="3.4.2-4")
ASSIGNED = MeasureSpec("domain_assigned_share", FAMILY, "share", "可归入重点领域的数据集占比",
                       "share of datasets assigned to at least one required domain", point="3.4.2-4")


def _pattern(terms: tuple[str, ...]) -> str | None:
    return "|".join(re.escape(t) for t in sorted(set(terms), key=len, reverse=True) if t) or None


def assign_domains(frame: pd.DataFrame) -> pd.DataFrame:
    """One boolean column per domain: the portal's category, the department, or a keyword in title/description."""
    categories = subject_labels(frame["categories"]).map(" | ".join)
    department = frame["department"].fillna("") + " " + frame["publisher"].fillna("")
    text = frame["title"].fillna("") + " " + frame["keywords"].map(" ".join)
    columns = {}
    for domain in domains():
        hit = pd.Series(False, index=frame.index)
        for source, terms in ((categories, domain.categories), (department, domain.departments),
                              (text, domain.keywords)):
            pattern = _pattern(terms)
            if pattern:
                hit |= source.str.contains(pattern, regex=True)
        columns[domain.id] = hit
    return pd.DataFrame(columns, index=frame.index)


def evaluate(catalogue: Catalogue, min_datasets: int = 1) -> FamilyResult:
    result = FamilyResult(FAMILY)
    assigned = assign_domains(catalogue.datasets)
    counts = assigned.sum().astype(int)
    names = {d.id: d.name_zh for d in domains()}
    covered = [d for d, n in counts.items() if n >= min_datasets]
    missing = [names[d] for d in counts.index if d not in covered]
    result.value(COVERAGE, len(covered), counts={names[d]: int(n) for d, n in counts.items()},
                 min_datasets=min_datasets, missing=missing, total=len(counts))
    result.value(ASSIGNED, float(assigned.any(axis=1).mean()) if len(assigned) else None)
    if missing:
        result.portal_finding(COVERAGE, f"no (or fewer than {min_datasets}) datasets in: {'、'.join(missing)}")
    return result
