"""Raw keys most records carry that the adapter's mapping never reads: a silent 0 in the fill rates, made visible."""

from __future__ import annotations

from collections import Counter
from typing import Any

from harvester.adapters.base import KeySection

# odq's default: a raw key present (non-empty) in more than half the records is worth a look by a profile writer.
UNMAPPED_KEY_SHARE = 0.5
MAX_KEYS_PER_SECTION = 5000  # distinct unknown keys counted per section: a portal minting keys per record stops here
MAX_LISTED = 50  # unmapped keys kept in the harvest info
_EMPTY = (None, "", [], {})


class KeyCensus:
    """Counts, per section, the records carrying each raw key the adapter does not know."""

    def __init__(self) -> None:
        self.records = 0  # records whose adapter reported key sections
        self.counts: dict[str, Counter[str]] = {}
        self.capped: set[str] = set()

    def add(self, sections: tuple[KeySection, ...]) -> None:
        if not sections:
            return
        self.records += 1
        for section in sections:
            self._count(section)

    def _count(self, section: KeySection) -> None:
        known = section.known
        # Known keys are skipped by one set lookup before any emptiness test: most keys are known, so this stays cheap.
        present = {key for obj in section.objects for key, value in obj.items()
                   if key not in known and isinstance(key, str) and value not in _EMPTY}
        if not present:
            return
        counts = self.counts.setdefault(section.name, Counter())
        for key in present:
            if key in counts or len(counts) < MAX_KEYS_PER_SECTION:
                counts[key] += 1
            else:
                self.capped.add(section.name)

    def to_json(self) -> dict[str, Any] | None:
        """The harvest info's `unmapped_keys`; None when no adapter said which keys it reads."""
        if not self.records:
            return None
        found = [
            {"section": section, "key": key, "share": round(count / self.records, 4)}
            for section, counts in self.counts.items() for key, count in counts.items()
            if count / self.records > UNMAPPED_KEY_SHARE
        ]
        found.sort(key=lambda item: (-item["share"], item["section"], item["key"]))
        report: dict[str, Any] = {
            "records": self.records, "min_share": UNMAPPED_KEY_SHARE, "min_share_source": "odq default",
            "keys": found[:MAX_LISTED],
        }
        if len(found) > MAX_LISTED:
            report["not_listed"] = len(found) - MAX_LISTED
        if self.capped:
            report["capped_sections"] = sorted(self.capped)
        return report
