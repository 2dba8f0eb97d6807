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

`explain_domains` says, per dataset and domain, which of these placed it there (the strongest one: title term >
keyword-list term > department > category label > fallback), with the term, department or label as the record
writes it. `evaluate` stores the counts, up to EXAMPLES_PER_DOMAIN example datasets per domain with their reasons,
and the full list grouped by reason (the report lists it under `domains`).

Speed: all titles and keywords are joined into one string that each domain's regular expression scans once in
C (Python only sees the texts that match, once each); category labels and department names are matched once
per distinct value. A million datasets take a few seconds. `explain_domains` adds Python work per dataset that
has a domain (it re-finds the matching term in that row only): about 1.8 times `assign_domains`'s time (200,000
datasets: 3.5 s against 1.9 s). Titles are lower-cased, not NFKC-normalised (too slow at that size, and the
vocabulary is CJK, which NFKC leaves alone).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import pandas as pd

from checks.catalogue import Catalogue
from checks.classification import SUBJECT_DIMENSIONS
from checks.findings import FindingType
from checks.measures import FamilyResult, MeasureSpec
from harvester.profiles import load_yaml
from harvester.vocab import domains, normalise_label
from profiles import PROFILES_DIR

FAMILY = "domains"
COVERAGE = MeasureSpec("domains_covered", FAMILY, "count", "覆盖的重点领域数（共12个）",
                       "required domains covered (of 12)", point="3.4.2-4")
ASSIGNED = MeasureSpec("domain_assigned_share", FAMILY, "share", "可归入重点领域的数据集占比",
                       "share of datasets assigned to at least one required domain", point="3.4.2-4")

EXAMPLES_PER_DOMAIN = 20  # examples with reasons kept per domain in the measure detail; the full list is grouped
EXAMPLE_TITLE_CHARS = 80  # an example's title is cut to this many characters

# Why a dataset is in a domain, strongest first (the order the module docstring gives the rules in).
REASON_RULES = ("title", "keyword", "department", "category", "fallback_category", "fallback_title",
                "fallback_keyword")

_SEPARATORS = ("\n", "\x1e", "\x1d", "\x1c")  # between texts in a joined string: the first one absent from all
_BLANK = "\x1f"  # what excluded phrases are overwritten with (same length, so positions stay put)


@dataclass(frozen=True, slots=True)
class DomainRules:
    """One domain's matching rules; category strings are NFKC + lower case, text terms lower case (both forms)."""

    id: str
    categories: tuple[str, ...]
    fallback_categories: tuple[str, ...]
    departments: tuple[str, ...]
    keywords: tuple[str, ...]
    fallback_keywords: tuple[str, ...]
    exclude: tuple[str, ...]
    cross_cutting: bool


@dataclass(frozen=True, slots=True)
class DomainReason:
    """Why one dataset is in one domain: the rule (one of REASON_RULES) and what in the record matched it."""

    domain: str
    rule: str
    evidence: str  # the matched term (title/keyword rules), department name, or category label as written

DOMAINS_MISSING = FindingType("domains-not-covered", "no (or fewer than {n}) datasets in: {missing}",
                              "以下领域没有（或少于 {n} 个）数据集：{missing}", vocabulary={"missing": "domains"})


def _labels(values: Iterable) -> tuple[str, ...]:
    return tuple(dict.fromkeys(normalise_label(str(v)) for v in values or () if str(v).strip()))


def _terms(values: Iterable) -> tuple[str, ...]:
    """Lower case as written and NFKC, so terms match titles that are lower-cased but not normalised."""
    return tuple(dict.fromkeys(form for v in values or () if str(v).strip()
                               for form in (str(v).strip().lower(), normalise_label(str(v)))))


@cache
def domain_rules() -> tuple[DomainRules, ...]:
    data = load_yaml(PROFILES_DIR / "vocab" / "domains.yaml")
    cross_cutting = set(data.get("cross_cutting") or ())
    extra = {d["id"]: d for d in data["domains"]}
    return tuple(
        DomainRules(
            id=d.id, categories=_labels(d.categories),
            fallback_categories=_labels(extra[d.id].get("fallback_categories")),
            departments=_terms(d.departments), keywords=_terms(d.keywords),
            fallback_keywords=_terms(extra[d.id].get("fallback_keywords")),
            exclude=_terms(extra[d.id].get("exclude")), cross_cutting=d.id in cross_cutting,
        )
        for d in domains()
    )


@cache
def _regex(terms: tuple[str, ...]) -> re.Pattern | None:
    alternatives = sorted(set(terms), key=len, reverse=True)
    return re.compile("|".join(map(re.escape, alternatives))) if alternatives else None


@cache
def _rest_of_text(pattern: re.Pattern, separator: str) -> re.Pattern:
    return re.compile(f"(?:{pattern.pattern})[^{re.escape(separator)}]*")


class _Joined:
    """Many texts joined into one lower-cased string, so one regex scan covers them all.

    `owners[i]` is the row (0..rows-1) that text i belongs to; a row may own several texts (its keywords).
    """

    def __init__(self, texts: list[str], owners: np.ndarray, rows: int):
        self.rows, self.owners = rows, owners
        for separator in _SEPARATORS:
            joined = separator.join(texts)
            if joined.count(separator) == max(len(texts) - 1, 0):
                break
        else:  # every separator occurs in some text: drop the first one from the texts
            separator = _SEPARATORS[0]
            joined = separator.join(t.replace(separator, " ") for t in texts)
        self.text, self.separator = joined.lower(), separator
        code = np.frombuffer(self.text.encode("utf-32-le"), dtype=np.uint32)
        self.ends = np.flatnonzero(code == ord(separator))  # text i ends at ends[i] (the last one at len(text))

    def hits(self, terms: tuple[str, ...], exclude: tuple[str, ...] = ()) -> np.ndarray:
        """Boolean per row: does any of its texts contain one of `terms` once the `exclude` phrases are blanked?"""
        found = np.zeros(self.rows, dtype=bool)
        pattern = _regex(terms)
        if pattern is None or not self.text:
            return found
        text = self.text
        blanked = _regex(exclude)
        if blanked is not None:
            text = blanked.sub(lambda m: _BLANK * len(m.group()), text)
        # each match swallows the rest of its text, so a text yields one match however many terms it holds
        rest = _rest_of_text(pattern, self.separator)
        starts = np.fromiter((m.start() for m in rest.finditer(text)), dtype=np.int64)
        found[self.owners[np.searchsorted(self.ends, starts)]] = True
        return found


def _texts(values: pd.Series) -> list[str]:
    return values.where(values.notna(), "").astype(str).tolist()


@cache
def _label_domains(raw: str, rules: tuple[DomainRules, ...]) -> tuple[bool, ...]:
    """(primary per domain) + (fallback per domain) for one category label."""
    label = normalise_label(raw)
    listed = [label in r.categories for r in rules]
    if not any(listed):  # not written out in full anywhere: every domain whose fragment it contains
        listed = [any(t in label for t in r.categories) for r in rules]
    return (*listed, *(any(t in label for t in r.fallback_categories) for r in rules))


def _subject_labels(categories: object) -> list[str]:
    """A dataset's subject category labels (theme/sector...), as the portal writes them."""
    if not isinstance(categories, list | tuple):
        return []
    return [str(c[1]) for c in categories
            if isinstance(c, list | tuple) and len(c) > 1 and c[0] in SUBJECT_DIMENSIONS and c[1] is not None]


def _category_evidence(frame: pd.DataFrame, rules: tuple[DomainRules, ...]) -> tuple[np.ndarray, np.ndarray]:
    """(primary, fallback) boolean arrays rows x domains from the subject category labels."""
    rows, width = len(frame), len(rules)
    pairs = frame["categories"].reset_index(drop=True).explode().dropna()
    table = pd.DataFrame(pairs.tolist(), index=pairs.index).reindex(columns=[0, 1])  # [dimension, label]
    table = table[table[0].isin(SUBJECT_DIMENSIONS) & table[1].notna()]
    codes, labels = pd.factorize(table[1].astype(str))
    per_label = np.zeros((len(labels), 2 * width), dtype=bool)
    for i, raw in enumerate(labels):  # once per distinct label
        per_label[i] = _label_domains(raw, rules)
    evidence = np.zeros((rows, 2 * width), dtype=bool)
    np.logical_or.at(evidence, table.index.to_numpy(), per_label[codes])
    return evidence[:, :width], evidence[:, width:]


def _department_evidence(frame: pd.DataFrame, rules: tuple[DomainRules, ...]) -> np.ndarray:
    names = pd.Series(_texts(frame["department"]), dtype=object) + "|" + pd.Series(_texts(frame["publisher"]),
                                                                                   dtype=object)
    codes, distinct = pd.factorize(names)
    joined = _Joined(list(distinct), np.arange(len(distinct)), len(distinct))
    per_name = np.column_stack([joined.hits(r.departments, r.exclude) for r in rules])
    return per_name[codes]


@dataclass(frozen=True, slots=True)
class _Evidence:
    """Rows x domains boolean arrays, one per kind of evidence, and what they add up to."""

    keyword: np.ndarray  # a keyword term in the title or keyword list
    department: np.ndarray
    category: np.ndarray  # a mapped category label that stands (the title names no other domain)
    fallback_category: np.ndarray  # counted only in rows nothing else placed
    fallback_keyword: np.ndarray
    assigned: np.ndarray


def _evidence(frame: pd.DataFrame, rules: tuple[DomainRules, ...]) -> _Evidence:
    rows = len(frame)
    keywords = frame["keywords"].reset_index(drop=True).explode().dropna()
    text = _Joined(_texts(frame["title"]) + keywords.astype(str).tolist(),
                   np.concatenate([np.arange(rows), keywords.index.to_numpy(dtype=np.int64)]), rows)
    keyword = np.column_stack([text.hits(r.keywords, r.exclude) for r in rules])
    department = _department_evidence(frame, rules)
    category, fallback_category = _category_evidence(frame, rules)

    topical = keyword[:, [not r.cross_cutting for r in rules]].any(axis=1, keepdims=True)
    # a category's domain stands when the title names no (topical) domain; when it names this one, step 1 has it
    assigned = keyword | department | (category & ~topical)
    unplaced = ~assigned.any(axis=1, keepdims=True)
    fallback_keyword = np.column_stack([text.hits(r.fallback_keywords, r.exclude) for r in rules])
    return _Evidence(keyword, department, category & ~topical, fallback_category & unplaced,
                     fallback_keyword & unplaced, assigned | ((fallback_category | fallback_keyword) & unplaced))


def assign_domains(frame: pd.DataFrame) -> pd.DataFrame:
    """One boolean column per domain (see the module docstring for the rules and their order)."""
    rules = domain_rules()
    ids = [r.id for r in rules]
    if not len(frame):
        return pd.DataFrame({d: pd.Series(dtype=bool) for d in ids}, index=frame.index)
    return pd.DataFrame(_evidence(frame, rules).assigned, index=frame.index, columns=ids)


def _first_term(terms: tuple[str, ...], exclude: tuple[str, ...], texts: Iterable[object]) -> str | None:
    """The first of `terms` found in `texts` (lower-cased, `exclude` phrases blanked), as the text writes it."""
    pattern = _regex(terms)
    if pattern is None:
        return None
    blanked = _regex(exclude)
    for value in texts:
        if value is None or (isinstance(value, float) and np.isnan(value)):
            continue
        raw = str(value)
        text = raw.lower()
        if blanked is not None:
            text = blanked.sub(lambda m: _BLANK * len(m.group()), text)
        found = pattern.search(text)
        if found:  # lower() keeps CJK and ASCII lengths; where it does not, the lower-case match is the evidence
            return raw[found.start():found.end()] if len(text) == len(raw) else found.group()
    return None


@dataclass(frozen=True, slots=True)
class _Row:
    title: object
    keywords: list
    department: object
    publisher: object
    categories: object


def _reason(row: _Row, rule: DomainRules, index: int, kinds: dict[str, bool],
            rules: tuple[DomainRules, ...]) -> DomainReason:
    """The strongest evidence that put `row` in `rule`'s domain (kinds: which evidence arrays hold for it)."""
    keywords = row.keywords
    if kinds["keyword"]:
        for name, texts in (("title", [row.title]), ("keyword", keywords)):
            term = _first_term(rule.keywords, rule.exclude, texts)
            if term is not None:
                return DomainReason(rule.id, name, term)
    if kinds["department"]:
        for name in (row.department, row.publisher):
            if _first_term(rule.departments, rule.exclude, [name]) is not None:
                return DomainReason(rule.id, "department", str(name))
    labels = _subject_labels(row.categories)
    if kinds["category"]:
        label = next((lab for lab in labels if _label_domains(lab, rules)[index]), None)
        if label is not None:
            return DomainReason(rule.id, "category", label)
    if kinds["fallback_category"]:
        label = next((lab for lab in labels if _label_domains(lab, rules)[len(rules) + index]), None)
        if label is not None:
            return DomainReason(rule.id, "fallback_category", label)
    for name, texts in (("fallback_title", [row.title]), ("fallback_keyword", keywords)):
        term = _first_term(rule.fallback_keywords, rule.exclude, texts)
        if term is not None:
            return DomainReason(rule.id, name, term)
    raise AssertionError(f"no evidence found for {rule.id}")  # the evidence arrays said there was some


def _classify(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    """(assign_domains's boolean frame, explain_domains's reasons), from one pass over the evidence."""
    rules = domain_rules()
    ids = [r.id for r in rules]
    if not len(frame):
        return (pd.DataFrame({d: pd.Series(dtype=bool) for d in ids}, index=frame.index),
                pd.Series([], index=frame.index, dtype=object))
    evidence = _evidence(frame, rules)
    kinds = ("keyword", "department", "category", "fallback_category", "fallback_keyword")
    arrays = {kind: getattr(evidence, kind) for kind in kinds}
    columns = {name: frame[name].tolist() for name in ("title", "keywords", "department", "publisher", "categories")}
    reasons: list[tuple[DomainReason, ...]] = [()] * len(frame)
    for position in np.flatnonzero(evidence.assigned.any(axis=1)):  # Python only for the rows with a domain
        keywords = columns["keywords"][position]
        row = _Row(columns["title"][position], list(keywords) if isinstance(keywords, list | tuple) else [],
                   columns["department"][position], columns["publisher"][position], columns["categories"][position])
        reasons[position] = tuple(
            _reason(row, rule, index, {kind: bool(arrays[kind][position, index]) for kind in kinds}, rules)
            for index, rule in enumerate(rules) if evidence.assigned[position, index])
    return (pd.DataFrame(evidence.assigned, index=frame.index, columns=ids),
            pd.Series(reasons, index=frame.index, dtype=object))


def explain_domains(frame: pd.DataFrame) -> pd.Series:
    """Per dataset (the frame's index), the domains it is in with one reason each, in the order of the 12."""
    return _classify(frame)[1]


def _grouped(reasons: pd.Series) -> dict[str, list[dict[str, Any]]]:
    """Per domain, each (rule, evidence) with the datasets it placed there, the largest group first."""
    groups: dict[str, dict[tuple[str, str], list[str]]] = {}
    for native_id, found in reasons.items():
        for reason in found:
            groups.setdefault(reason.domain, {}).setdefault((reason.rule, reason.evidence), []).append(str(native_id))
    return {domain: [{"rule": rule, "evidence": evidence, "datasets": ids}
                     for (rule, evidence), ids in sorted(by_reason.items(),
                                                         key=lambda item: (-len(item[1]), item[0]))]
            for domain, by_reason in groups.items()}


def _examples(reasons: pd.Series, titles: pd.Series) -> dict[str, list[dict[str, Any]]]:
    """Per domain, the first EXAMPLES_PER_DOMAIN datasets in catalogue order with their reasons."""
    examples: dict[str, list[dict[str, Any]]] = {}
    for native_id, found in reasons.items():
        for reason in found:
            kept = examples.setdefault(reason.domain, [])
            if len(kept) < EXAMPLES_PER_DOMAIN:
                title = titles.get(native_id)
                kept.append({"native_id": str(native_id),
                             "title": title[:EXAMPLE_TITLE_CHARS] if isinstance(title, str) else None,
                             "rule": reason.rule, "evidence": reason.evidence})
    return examples


def evaluate(catalogue: Catalogue, min_datasets: int = 1) -> FamilyResult:
    result = FamilyResult(FAMILY)
    assigned, reasons = _classify(catalogue.datasets)
    counts = assigned.sum().astype(int)
    names = {d.id: d.name_zh for d in domains()}
    covered = [d for d, n in counts.items() if n >= min_datasets]
    missing = [names[d] for d in counts.index if d not in covered]
    result.value(COVERAGE, len(covered), counts={names[d]: int(n) for d, n in counts.items()},
                 min_datasets=min_datasets, missing=missing, total=len(counts),
                 examples=_examples(reasons, catalogue.datasets.get("title", pd.Series(dtype=object))),
                 reasons=_grouped(reasons))
    result.value(ASSIGNED, float(assigned.any(axis=1).mean()) if len(assigned) else None)
    if missing:
        result.portal_finding(COVERAGE, DOMAINS_MISSING(n=min_datasets, missing=[d for d in counts.index
                                                                                  if d not in covered]))
    return result
