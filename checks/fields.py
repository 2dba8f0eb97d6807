"""Field documentation (3.4.2-1): are the data items listed, described beyond their names, and typed."""

from __future__ import annotations

import pandas as pd

from checks.catalogue import Catalogue
from checks.findings import FindingType, Said
from checks.measures import FamilyResult, MeasureSpec, ShareCheck
from checks.rules import FieldRules, default_rules
from harvester.records import DatasetRecord, Field

FAMILY = "fields"

FIELD_LIST = MeasureSpec("field_list_share", FAMILY, "share", "有数据项（字段）说明的数据集占比",
                         "share of datasets with a field list", point="3.4.2-1")
DESCRIBED = MeasureSpec("fields_described_share", FAMILY, "share", "字段说明充分的数据集占比",
                        "share of datasets whose fields are described beyond their names", point="3.4.2-1")
FIELD_RATIO = MeasureSpec("field_description_ratio", FAMILY, "share", "有实质描述的字段占比",
                          "share of all fields with a description that says more than the name", point="3.4.2-1")
TYPED = MeasureSpec("field_type_ratio", FAMILY, "share", "声明类型的字段占比", "share of fields with a declared type",
                    point="3.4.2-1")
HEADER_MATCH = MeasureSpec("declared_fields_match_share", FAMILY, "share", "字段说明与文件表头一致的抽样文件占比",
                           "share of sampled files whose header matches the declared fields", point="3.4.2-1")

NO_FIELD_LIST = FindingType("no-field-list", "no field list published", "未发布数据项（字段）说明")
FIELDS_UNDESCRIBED = FindingType(
    "fields-undescribed", "only {described} of {count} fields have a description that says more than the field name",
    "{count} 个字段中仅 {described} 个有超出字段名的说明")
HEADER_MISMATCH = FindingType(
    "declared-fields-not-in-file", "{url}: declared fields missing from the file {missing}, file columns not "
    "declared {extra}", "{url}：文件缺少已声明的字段 {missing}，文件中有未声明的列 {extra}",
    portal_text=frozenset({"url", "missing", "extra"}))


def describes(field: Field) -> bool:
    """A description documents a field only if it says more than the field's name or title."""
    text = (field.description or "").strip()
    return bool(text) and text not in {field.name.strip(), (field.title or "").strip()}


class FieldsPass:
    """Counts each record's described fields as the records stream by (the rule runs when a harvest is assessed,
    not when it is stored), then judges the catalogue with those counts."""

    def __init__(self, catalogue: Catalogue, rules: FieldRules | None = None) -> None:
        self.catalogue = catalogue
        self.rules = rules
        self.described: dict[str, int] = {}

    def add(self, batch: list[DatasetRecord]) -> None:
        for record in batch:
            self.described[record.native_id] = sum(1 for f in record.fields if describes(f))

    def result(self) -> FamilyResult:
        frame = self.catalogue.datasets
        frame["fields_described"] = frame.index.map(self.described).fillna(0).astype(int)
        return evaluate(self.catalogue, self.rules)


def evaluate(catalogue: Catalogue, rules: FieldRules | None = None) -> FamilyResult:
    """The family's measures; `rules` say when fields count as described (default: the shipped rules profile)."""
    rules = rules or default_rules().fields
    result = FamilyResult(FAMILY)
    frame = catalogue.datasets
    count, described, typed = frame["fields_count"], frame["fields_described"], frame["fields_typed"]
    has_fields = count > 0
    result.shares.append(ShareCheck(FIELD_LIST, has_fields, NO_FIELD_LIST, mostly=0.8))
    ratio = (described / count.where(has_fields)).astype("Float64")
    well = (ratio >= rules.described_field_share).astype("boolean").where(has_fields, pd.NA)
    def explain(ids: pd.Index) -> list[Said]:
        return [FIELDS_UNDESCRIBED(described=int(d), count=int(c)) for d, c in zip(described[ids], count[ids],
                                                                                    strict=True)]

    result.shares.append(ShareCheck(DESCRIBED, well, explain, mostly=0.8))
    total = int(count.sum())
    result.value(FIELD_RATIO, described.sum() / total if total else None, fields=total)
    result.value(TYPED, typed.sum() / total if total else None, fields=total)

    checked = [f for f in catalogue.files if f.get("declared_fields")]
    if checked:
        matching = [f for f in checked if not f.get("missing_fields") and not f.get("extra_fields")]
        result.value(HEADER_MATCH, len(matching) / len(checked), files=len(checked))
        for report in checked:
            if report.get("missing_fields") or report.get("extra_fields"):
                result.dataset_finding(HEADER_MATCH, report["native_id"], HEADER_MISMATCH(
                    url=report["url"], missing=list(report.get("missing_fields") or []),
                    extra=list(report.get("extra_fields") or [])), title=report.get("title"))
    else:
        result.value(HEADER_MATCH, None, files=0)
    return result
