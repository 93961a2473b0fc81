"""Who and where could take one part of a visit, for every candidate start at once.

Each answer is a boolean matrix with one row per practitioner (or room) and one column per visit
start. Intervals become runs of columns found by binary search; a run is marked with +1 and -1 at
its ends, and a cumulative sum along each row then counts, per cell, the intervals that allow or
block it. That keeps a month-long search for a whole clinic to a few milliseconds of numpy.
"""

from collections.abc import Sequence
from datetime import time, timedelta

import numpy as np
import numpy.typing as npt

from scheduler.core.intervals import Interval, epoch
from scheduler.core.wallclock import wall_time
from scheduler.models import Practitioner, Service, ServiceKind
from scheduler.scheduling.schedule import PRACTITIONER, ROOM, START, UNTIL, Schedule

Matrix = npt.NDArray[np.bool_]
Integers = npt.NDArray[np.int64]
FOREVER = 1 << 62


def may_deliver(practitioner: Practitioner, service: Service) -> bool:
    """Profession fits; dry needling also needs a certificate (its dates are checked apart)."""
    if practitioner.profession.value not in service.professions:
        return False
    return service.kind != ServiceKind.DRY_NEEDLING or practitioner.needling_certified


class PartFit:
    """Rows are practitioners or rooms (by id), columns the visit starts given."""

    def __init__(
        self,
        schedule: Schedule,
        service: Service,
        *,
        offset: int,
        starts: Integers,
        practitioner_ids: Sequence[int],
        room_ids: Sequence[int],
    ) -> None:
        self.service = service
        self.offset = offset
        self.length = service.duration_minutes * 60
        self.starts = starts
        self.practitioner_ids = list(practitioner_ids)
        self.room_ids = list(room_ids)
        open_ = self._inside([schedule.opening])[0]
        shifts = [schedule.working.get(pid, []) for pid in self.practitioner_ids]
        away = [self._away(schedule, pid) for pid in self.practitioner_ids]
        self.practitioners_working = self._inside(shifts) & open_ & self._clear_of(away, cleanup=0)
        self.practitioners_free = self.practitioners_working & self._clear_of_bookings(
            schedule.busy, PRACTITIONER, self.practitioner_ids
        )
        self.rooms_free = open_ & self._clear_of_bookings(schedule.busy, ROOM, self.room_ids)
        self.patient_free = self._clear_of([schedule.patient_busy], cleanup=0)[0]

    def open_at(self) -> Matrix:
        """For each start: are the patient, some practitioner and some room free for this part?"""
        staffed: Matrix = self.practitioners_free.sum(axis=0) > 0
        roomed: Matrix = self.rooms_free.sum(axis=0) > 0
        open_: Matrix = staffed & roomed & self.patient_free
        return open_

    def least_loaded(self, schedule: Schedule, columns: Integers) -> Integers:
        """Per column, the free practitioner with the least booked time that day (then by id).

        Booked time counts cleanup too: it is time the practitioner cannot see anyone.
        """
        day_count = len(schedule.day_starts) - 1
        busy = schedule.busy
        rows = _rows_of(self.practitioner_ids, busy[:, PRACTITIONER])
        days = np.searchsorted(schedule.day_starts, busy[:, START], side="right") - 1
        mine = (rows >= 0) & (days >= 0) & (days < day_count)
        load = np.bincount(
            rows[mine] * day_count + days[mine],
            weights=(busy[mine, UNTIL] - busy[mine, START]),
            minlength=len(self.practitioner_ids) * day_count,
        ).reshape(len(self.practitioner_ids), day_count)
        column_days = np.searchsorted(schedule.day_starts, self.starts[columns], side="right") - 1
        cost = np.where(
            self.practitioners_free[:, columns], load[:, column_days.clip(0, day_count - 1)], np.inf
        )
        chosen: Integers = cost.argmin(axis=0)
        return np.array(self.practitioner_ids, dtype=np.int64)[chosen]

    def rooms_for(
        self, columns: Integers, preferred: int | None, previous: Integers | None
    ) -> Integers:
        """Per column, the preferred room if free, else the previous part's if free, else the
        first free one."""
        free = self.rooms_free[:, columns]
        ids = np.array(self.room_ids, dtype=np.int64)
        choice: Integers = ids[free.argmax(axis=0)]
        everywhere = np.arange(len(columns))
        for wanted in (previous, None if preferred is None else np.full(len(columns), preferred)):
            if wanted is None:
                continue
            rows = np.searchsorted(ids, wanted).clip(0, len(ids) - 1)
            usable = (ids[rows] == wanted) & free[rows, everywhere]
            choice = np.where(usable, wanted, choice)
        return choice

    def working_practitioners(self, column: int) -> list[int]:
        return _ids(self.practitioner_ids, self.practitioners_working[:, column])

    def free_practitioners(self, column: int) -> list[int]:
        return _ids(self.practitioner_ids, self.practitioners_free[:, column])

    def free_rooms(self, column: int) -> list[int]:
        return _ids(self.room_ids, self.rooms_free[:, column])

    def _away(self, schedule: Schedule, practitioner_id: int) -> list[Interval]:
        """Breaks and time off, and for dry needling every day after the certificate expires."""
        away = schedule.away.get(practitioner_id, [])
        until = schedule.practitioners[practitioner_id].needling_certified_until
        if self.service.kind != ServiceKind.DRY_NEEDLING or until is None:
            return away
        expired = epoch(wall_time(until + timedelta(days=1), time(0), schedule.zone))
        return [*away, (expired, FOREVER)]

    def _inside(self, intervals: list[list[Interval]]) -> Matrix:
        """Cells where the part lies wholly inside one of the row's intervals."""
        rows, begins, ends = _flatten(intervals)
        low = np.searchsorted(self.starts, begins - self.offset, side="left")
        high = np.searchsorted(self.starts, ends - self.offset - self.length, side="right")
        return _runs(len(intervals), len(self.starts), rows, low, high) > 0

    def _clear_of(self, intervals: list[list[Interval]], cleanup: int) -> Matrix:
        rows, begins, ends = _flatten(intervals)
        return self._clear(len(intervals), rows, begins, ends, cleanup)

    def _clear_of_bookings(self, busy: Integers, column: int, ids: list[int]) -> Matrix:
        """Cells where the part, and its cleanup, touch none of the row's bookings."""
        rows = _rows_of(ids, busy[:, column])
        kept = rows >= 0
        cleanup = self.service.cleanup_minutes * 60
        return self._clear(len(ids), rows[kept], busy[kept, START], busy[kept, UNTIL], cleanup)

    def _clear(
        self, count: int, rows: Integers, begins: Integers, ends: Integers, cleanup: int
    ) -> Matrix:
        # The part [s, s + length) plus its cleanup overlaps [begin, end) exactly when
        # begin - cleanup - length < s < end.
        low = np.searchsorted(
            self.starts, begins - cleanup - self.length - self.offset, side="right"
        )
        high = np.searchsorted(self.starts, ends - self.offset, side="left")
        clear: Matrix = _runs(count, len(self.starts), rows, low, high) == 0
        return clear


def _rows_of(ids: list[int], values: Integers) -> Integers:
    """For each value, its row in `ids`, or -1 when it is not one of them."""
    row_of = np.full(max(ids, default=0) + 2, -1, dtype=np.int64)
    row_of[ids] = np.arange(len(ids))
    rows: Integers = row_of[np.minimum(values, len(row_of) - 1)]
    return rows


def _flatten(intervals: list[list[Interval]]) -> tuple[Integers, Integers, Integers]:
    rows = np.array([row for row, spans in enumerate(intervals) for _ in spans], dtype=np.int64)
    spans = [span for spans in intervals for span in spans]
    flat = np.array(spans, dtype=np.int64).reshape(-1, 2)
    return rows, flat[:, 0], flat[:, 1]


def _runs(
    count: int, columns: int, rows: Integers, low: Integers, high: Integers
) -> npt.NDArray[np.int32]:
    """Per cell, how many of the runs [low, high) of each row cover it."""
    real = low < high
    width = columns + 1
    size = count * width
    opened = np.bincount(rows[real] * width + low[real], minlength=size)
    closed = np.bincount(rows[real] * width + high[real], minlength=size)
    marks = (opened - closed).reshape(count, width)
    covered: npt.NDArray[np.int32] = np.cumsum(marks, axis=1, dtype=np.int32)[:, :-1]
    return covered


def _ids(ids: list[int], column: Matrix) -> list[int]:
    return [ids[row] for row in np.flatnonzero(column).tolist()]
