"""Pinyin order of portal names, as the evaluators list sites within a tier (各梯度内网站按首字汉语拼音升序排序)."""

from __future__ import annotations

import re
from functools import lru_cache

from pypinyin import Style, lazy_pinyin

_TONE = re.compile(r"^(.*?)([1-5])?$")


@lru_cache(maxsize=65_536)  # sorts ask for the same names over and over; reading one in context costs ~0.7 ms
def pinyin_key(name: str) -> tuple[tuple[tuple[str, int], ...], str]:
    """Syllable by syllable (letters, then tone), read in context so that 重庆 is chong and 长沙 chang; text that is
    not Chinese sorts by its own lower-case letters among the syllables."""
    syllables = lazy_pinyin(name.strip(), style=Style.TONE3, neutral_tone_with_five=True)
    parts = []
    for syllable in syllables:
        match = _TONE.match(syllable.lower())
        letters, tone = (match.group(1), int(match.group(2) or 0)) if match else (syllable.lower(), 0)
        parts.append((letters, tone))
    return tuple(parts), name


def first_pinyin(name: str) -> str:
    """The first character's syllable, without tone (what the order is by)."""
    key = pinyin_key(name)[0]
    return key[0][0] if key else ""
