"""Loop and progress detection for paged listings, one implementation for every adapter (after the Singer SDK).

A paginator remembers the page tokens it was asked for (an offset, a page number, a keyset boundary, a cursor or
a next link) and the native ids listed. A token asked for twice, a page that brings no new ids, or the page cap
ends the listing with a reason: the adapter stops there and the harvest is partial, never an endless loop.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Hashable
from typing import Any

import orjson

MAX_PAGES = 100_000  # no real catalogue needs more listing pages; a portal that serves more is going round


class Paginator:
    """Seen tokens and seen ids of one listing; `stop` is told the reason when the listing must end early."""

    def __init__(self, stop: Callable[[str], None], *, max_pages: int | None = None, noun: str = "dataset",
                 seen: set[str] | None = None) -> None:
        """`seen` may be shared with an earlier listing of the same harvest (a refused incremental run that
        starts over): ids it holds are not yielded again, yet count as progress for this listing."""
        self.stop = stop
        self.max_pages = max_pages or MAX_PAGES
        self.noun = noun
        self.pages = 0
        self.repeats = 0  # entries listed again (on another page or twice on one)
        self._tokens: set[Hashable] = set()
        self.seen: set[str] = seen if seen is not None else set()  # ids yielded in this harvest
        self._ids: set[str] = set()  # ids this listing has listed
        self._listed = 0  # entries on the current page
        self._new = 0  # of which not listed before

    @property
    def listed(self) -> int:
        """Distinct ids this listing has listed so far."""
        return len(self._ids)

    def begin(self, token: Hashable) -> bool:
        """Start a page; False (and the listing stopped) when the token was asked for before or the cap is hit."""
        if self.pages >= self.max_pages:
            self.stop(f"the listing reached its cap of {self.max_pages:,} pages before its end")
            return False
        if token in self._tokens:
            self.stop(f"page {self.pages + 1} would be {_brief(token)} again, a page already read "
                      "(the portal's paging goes round)")
            return False
        self._tokens.add(token)
        self.pages += 1
        self._listed = self._new = 0
        return True

    def is_new(self, native_id: str | None, entry: Any = None) -> bool:
        """True the first time an id (or, for an entry without one, its content) is listed."""
        key = native_id if native_id is not None else fingerprint(entry)
        self._listed += 1
        if key not in self._ids:
            self._ids.add(key)
            self._new += 1
        if key in self.seen:
            self.repeats += 1
            return False
        self.seen.add(key)
        return True

    def progressed(self) -> bool:
        """After a page: False (and the listing stopped) when it listed entries but none that was new."""
        if self._listed and not self._new:
            self.stop(f"page {self.pages} brought no new {self.noun} ids (the portal repeats its pages)")
            return False
        return True

    def page_new(self) -> int:
        """New ids on the current page."""
        return self._new


def fingerprint(entry: Any) -> str:
    """Identity of a listed entry without an id, so a repeated page is still recognised."""
    try:
        text = orjson.dumps(entry, option=orjson.OPT_SORT_KEYS, default=str)
    except TypeError:  # nested deeper than orjson writes (254 levels): such entries count as one
        text = b"nested too deep: " + type(entry).__name__.encode()
    return "sha1:" + hashlib.sha1(text, usedforsecurity=False).hexdigest()


def _brief(token: Hashable) -> str:
    text = str(token)
    return text if len(text) <= 120 else text[:119] + "…"
