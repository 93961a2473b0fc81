"""Half-open time intervals as (start, end) pairs of epoch seconds.

Integers rather than datetimes because availability runs these operations tens of thousands of
times per search; every list here is sorted by start and free of overlaps unless said otherwise.
"""

from collections.abc import Iterable
from datetime import UTC, datetime

Interval = tuple[int, int]


def epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def instant(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Sort and join overlapping or touching intervals; empty ones are dropped."""
    merged: list[Interval] = []
    for start, end in sorted(intervals):
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def subtract(base: list[Interval], cuts: list[Interval]) -> list[Interval]:
    """`base` minus `cuts`; both sorted, `cuts` may overlap each other."""
    result: list[Interval] = []
    index = 0
    for start, end in base:
        while index < len(cuts) and cuts[index][1] <= start:
            index += 1
        cursor, probe = start, index
        while probe < len(cuts) and cuts[probe][0] < end:
            cut_start, cut_end = cuts[probe]
            if cut_start > cursor:
                result.append((cursor, cut_start))
            cursor = max(cursor, cut_end)
            probe += 1
        if cursor < end:
            result.append((cursor, end))
    return result


def intersect(first: list[Interval], second: list[Interval]) -> list[Interval]:
    result: list[Interval] = []
    i = j = 0
    while i < len(first) and j < len(second):
        start = max(first[i][0], second[j][0])
        end = min(first[i][1], second[j][1])
        if start < end:
            result.append((start, end))
        if first[i][1] < second[j][1]:
            i += 1
        else:
            j += 1
    return result


def covers(intervals: list[Interval], start: int, end: int) -> bool:
    """True when one interval holds all of [start, end)."""
    return any(s <= start and end <= e for s, e in intervals)


def overlaps(intervals: Iterable[Interval], start: int, end: int) -> bool:
    return any(s < end and start < e for s, e in intervals)
