"""Domain coverage (3.4.2-4): which of the 12 required domains the catalogue covers, and with how many datasets.

`assign_domains` puts each dataset into zero or more of the 12 domains with the rules of
profiles/vocab/domains.yaml (the file's header explains them to a domain expert). In order of strength:

1. keywords: a keyword of the domain in the title or the keyword list (after the domain's `exclude`
   phrases are blanked out) puts the dataset in the domain;
2. departments: so does a department fragment in the department / publisher name;
3. categories: the portal's category label puts the dataset in the domain it maps to, unless the title
   names other domains and not this one (portals file many datasets under a neighbouring theme; the title
   is the better witness). A combined label listed in full under one domain (教育科研 under education) gives
   only that domain; the others whose fragments it contains (科研) need the title to agree. Keyword hits of
   `cross_cutting` domains (市场主体: 企业 appears in registers of every sector) never displace a category;
4. fallbacks: `fallback_categories` and `fallback_keywords` (mixed labels such as 信用服务, generic phrases
   such as 行政许可) count only when steps 1-3 found no domain at all.

Everything is vectorised: regular expressions over the title column, and category labels and department names
matched once per distinct value, so a catalogue of a million datasets takes seconds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import pandas as pd

from checks.catalogue import Catalogue
from checks.classification import subject_labels
from checks.measures import FamilyResult, MeasureSpec
from harvester.profiles import load_yaml
from harvester.vocab import domains, normalise_label
from profiles import PROFILES_DIR

FAMILY = "domains"
COVERAGE = MeasureSpec("domains_covered", FAMILY, "count", "覆盖的重点领域数（共12个）",
                       "required domains covered (of 12)", point="3.4.2-4")
ASSIGNED = MeasureSpec("domain_assigned_share", FAMILY, "share", "可归入重点领域的数据集占比",
                       "share of datasets assigned to at least one required domain", point="3.4.2-4")

_SEPARATOR = "\x1f"  # joins labels of one dataset; also what excluded phrases are blanked to


@dataclass(frozen=True, slots=True)
class DomainRules:
    """One domain's matching rules, every string NFKC-normalised and lower-cased."""

    id: str
    categories: tuple[str, ...]
    fallback_categories: tuple[str, ...]
    departments: tuple[str, ...]
    keywords: tuple[str, ...]
    fallback_keywords: tuple[str, ...]
    exclude: tuple[str, ...]
    cross_cutting: bool


def _terms(values) -> tuple[str, ...]:
    return tuple(dict.fromkeys(normalise_label(str(v)) for v in values or () if str(v).strip()))


@cache
def domain_rules() -> tuple[DomainRules, ...]:
    data = load_yaml(PROFILES_DIR / "vocab" / "domains.yaml")
    cross_cutting = set(data.get("cross_cutting") or ())
    by_id = {d["id"]: d for d in data["domains"]}
    return tuple(
        DomainRules(
            id=d.id, categories=_terms(d.categories), departments=_terms(d.departments),
            keywords=_terms(d.keywords),
            fallback_categories=_terms(by_id[d.id].get("fallback_categories")),
            fallback_keywords=_terms(by_id[d.id].get("fallback_keywords")),
            exclude=_terms(by_id[d.id].get("exclude")), cross_cutting=d.id in cross_cutting,
        )
        for d in domains()
    )


def _pattern(terms: tuple[str, ...]) -> str | None:
    return "|".join(re.escape(t) for t in sorted(set(terms), key=len, reverse=True) if t) or None


def _contains(text: pd.Series, terms: tuple[str, ...], exclude: tuple[str, ...] = ()) -> pd.Series:
    pattern = _pattern(terms)
    if not pattern:
        return pd.Series(False, index=text.index)
    blanked = _pattern(exclude)
    if blanked:
        text = text.str.replace(blanked, _SEPARATOR, regex=True)
    return text.str.contains(pattern, regex=True)


def _per_value(values: pd.Series, evidence) -> pd.DataFrame:
    """Apply `evidence` (a function of a Series of distinct strings) once per distinct value, then spread back."""
    codes, uniques = pd.factorize(values)
    distinct = evidence(pd.Series(uniques, dtype=object))
    return pd.DataFrame(distinct.to_numpy()[codes], index=values.index, columns=distinct.columns)


def _category_evidence(rules: tuple[DomainRules, ...], joined: pd.Series) -> pd.DataFrame:
    """Per distinct label set: which domains its labels map to (primary) and which only as a fallback."""
    full = {r.id: set(r.categories) for r in rules}
    rows = []
    for labels in joined:
        primary: set[str] = set()
        fallback: set[str] = set()
        for label in filter(None, labels.split(_SEPARATOR)):
            listed = {d for d, entries in full.items() if label in entries}
            primary |= listed or {r.id for r in rules if any(t in label for t in r.categories)}
            fallback |= {r.id for r in rules if any(t in label for t in r.fallback_categories)}
        rows.append({**{r.id: r.id in primary for r in rules},
                     **{f"fallback:{r.id}": r.id in fallback for r in rules}})
    return pd.DataFrame(rows, index=joined.index, columns=[r.id for r in rules] +
                        [f"fallback:{r.id}" for r in rules], dtype=bool)


def _department_evidence(rules: tuple[DomainRules, ...], names: pd.Series) -> pd.DataFrame:
    return pd.DataFrame({r.id: _contains(names, r.departments, r.exclude) for r in rules}, index=names.index)


def _keyword_text(frame: pd.DataFrame) -> pd.Series:
    keywords = frame["keywords"].map(lambda ks: " ".join(map(str, ks)) if isinstance(ks, (list, tuple)) else "")
    text = frame["title"].fillna("").astype(str) + _SEPARATOR + keywords
    return text.str.normalize("NFKC").str.lower()


def assign_domains(frame: pd.DataFrame) -> pd.DataFrame:
    """One boolean column per domain (see the module docstring for the rules and their order)."""
    rules = domain_rules()
    ids = [r.id for r in rules]
    if frame.empty:
        return pd.DataFrame({d: pd.Series(dtype=bool) for d in ids}, index=frame.index)

    labels = subject_labels(frame["categories"]).map(lambda ls: _SEPARATOR.join(normalise_label(x) for x in ls))
    categories = _per_value(labels, lambda distinct: _category_evidence(rules, distinct))
    names = (frame["department"].fillna("").astype(str) + _SEPARATOR + frame["publisher"].fillna("").astype(str))
    department = _per_value(names.str.normalize("NFKC").str.lower(), lambda d: _department_evidence(rules, d))
    text = _keyword_text(frame)
    keyword = pd.DataFrame({r.id: _contains(text, r.keywords, r.exclude) for r in rules}, index=frame.index)

    topical = keyword[[r.id for r in rules if not r.cross_cutting]].any(axis=1)
    category = categories[ids].astype(bool)
    # a category's domain stands when the title names no (topical) domain; when it names this one, step 1 has it
    assigned = keyword | department | (category & ~topical.to_numpy()[:, None])

    unplaced = ~assigned.any(axis=1)
    fallback = pd.DataFrame({
        r.id: categories[f"fallback:{r.id}"].astype(bool) | _contains(text, r.fallback_keywords, r.exclude)
        for r in rules}, index=frame.index)
    return assigned | (fallback & unplaced.to_numpy()[:, None])


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
