"""How an SMS body travels: its encoding and how many segments (billed parts) it takes.

GSM-7 fits 160 characters in one message, 153 per part once split; a single character outside
GSM-7 (a curly quote, an emoji, most accented letters) turns the whole text into UCS-2, with 70
and 67. Characters of the GSM-7 extension table (such as [ ] { } ~ and the euro sign) take two.
"""

import math
from dataclasses import dataclass

GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = set("^{}\\[~]|€\f")


@dataclass(frozen=True)
class Measure:
    encoding: str  # "GSM-7" or "UCS-2"
    units: int  # septets for GSM-7, UTF-16 code units for UCS-2
    segments: int


def measure(body: str) -> Measure:
    if all(char in GSM7_BASIC or char in GSM7_EXTENDED for char in body):
        units = sum(2 if char in GSM7_EXTENDED else 1 for char in body)
        return Measure("GSM-7", units, _segments(units, single=160, part=153))
    units = len(body.encode("utf-16-le")) // 2
    return Measure("UCS-2", units, _segments(units, single=70, part=67))


def _segments(units: int, *, single: int, part: int) -> int:
    if units <= single:
        return 1
    return math.ceil(units / part)
