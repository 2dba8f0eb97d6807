"""The openness-stars findings (checks.openness reasons) said in Chinese and English.

checks.openness writes one reason per distribution in a small fixed grammar ("declared RDF_XML but the URL is
.txt: TXT → 1 star"); `stars_reason` reads it back and says it in the report's language: the "stars-reason"
vocabulary of the openness findings (checks.formats LOW_STARS, BELOW_PROMISE).
"""

from __future__ import annotations

import re
from collections.abc import Callable

_DESC = (
    (re.compile(r"no format named → 1 star \(unknown format\)"),
     lambda m: ("未指明格式 → 1 星（未知格式）", "no format named → 1 star (unknown format)")),
    (re.compile(r"(?P<code>\S+) is not in ckanext-qa's table → (?P<n>\d) star \(unknown format\)"),
     lambda m: (f"{m['code']} 不在 CKAN QA 开放星级表中 → {m['n']} 星（未知格式）",
                f"{m['code']} is not in ckanext-qa's table → {m['n']} star (unknown format)")),
    (re.compile(r"(?P<code>\S+) → (?P<n>\d) stars?"),
     lambda m: (f"{m['code']} → {m['n']} 星", f"{m['code']} → {m['n']} star{'' if m['n'] == '1' else 's'}")),
)


def _desc(text: str, lang: str) -> str:
    for pattern, say in _DESC:
        match = pattern.fullmatch(text)
        if match:
            zh, en = say(match)
            return zh if lang == "zh" else en
    return text


def _said(text: str, lang: str) -> str:
    if text == "no declared format":
        return "未声明格式" if lang == "zh" else text
    code = text.removeprefix("declared ")
    return f"声明为 {code}" if lang == "zh" else text


_REASONS: tuple[tuple[re.Pattern[str], Callable[[re.Match[str], str], str]], ...] = (
    (re.compile(r"broken link \((?P<why>.*)\) → 0 stars"),
     lambda m, lang: f"链接失效（{m['why']}）→ 0 星" if lang == "zh" else m[0]),
    (re.compile(r"licence (?P<licence>.*) is not open → 0 stars \(format: (?P<format>.*)\)", re.S),
     lambda m, lang: (f"许可协议 {m['licence']} 不是开放许可 → 0 星（格式：{stars_reason(m['format'], lang)}）"
                      if lang == "zh" else m[0])),
    (re.compile(r"(?P<said>declared \S+|no declared format), the file's bytes (?P<verb>agree|are): (?P<desc>.*)"),
     lambda m, lang: (f"{_said(m['said'], lang)}，文件内容{'相符' if m['verb'] == 'agree' else '实为'}："
                      f"{_desc(m['desc'], lang)}" if lang == "zh" else m[0])),
    (re.compile(r"(?P<said>declared \S+|no declared format), served (?P<type>\S+): (?P<desc>.*)"),
     # the served media type is the portal's text: the Chinese names the format it maps to instead
     lambda m, lang: (f"{_said(m['said'], lang)}，实际返回的内容类型：{_desc(m['desc'], lang)}"
                      if lang == "zh" else m[0])),
    (re.compile(r"declared (?P<code>\S+), URL \.(?P<ext>\S+): (?P<desc>.*)"),
     lambda m, lang: (f"声明为 {m['code']}，URL 扩展名 .{m['ext'].upper()}：{_desc(m['desc'], lang)}"
                      if lang == "zh" else m[0])),
    (re.compile(r"(?P<said>declared \S+|no declared format) but the URL is \.(?P<ext>\S+): (?P<desc>.*)"),
     lambda m, lang: (f"{_said(m['said'], lang)}，但 URL 扩展名为 .{m['ext'].upper()}：{_desc(m['desc'], lang)}"
                      if lang == "zh" else m[0])),
    (re.compile(r"declared (?P<code>\S+), no other evidence: (?P<desc>.*)"),
     lambda m, lang: (f"声明为 {m['code']}，无其他依据：{_desc(m['desc'], lang)}" if lang == "zh" else m[0])),
    (re.compile(r"no declared format, no file extension, nothing served: (?P<desc>.*)"),
     lambda m, lang: (f"未声明格式、URL 无扩展名、未取得返回类型：{_desc(m['desc'], lang)}"
                      if lang == "zh" else m[0])),
)


def stars_reason(text: str, lang: str) -> str:
    """One distribution's reason in the language; a text outside the grammar comes back unchanged."""
    for pattern, say in _REASONS:
        match = pattern.fullmatch(text)
        if match:
            return say(match, lang)
    return text
