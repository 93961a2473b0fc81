from datetime import date, timedelta

import pytest

from scheduler.admin.directory import certificate_warning
from scheduler.models import Practitioner, Profession

TODAY = date(2026, 11, 23)


def certified_until(until: date | None) -> Practitioner:
    return Practitioner(
        name="Marcus Chen",
        profession=Profession.CHIROPRACTOR,
        needling_certified_by="Dry Needling Institute" if until else None,
        needling_certified_until=until,
    )


@pytest.mark.parametrize(
    ("until", "warning"),
    [
        (TODAY + timedelta(days=20), "expires in 20 days, on 13 Dec 2026"),
        (TODAY + timedelta(days=30), "expires in 30 days, on 23 Dec 2026"),
        (TODAY + timedelta(days=1), "expires in 1 day, on 24 Nov 2026"),
        (TODAY, "expires today, on 23 Nov 2026"),
        (TODAY - timedelta(days=1), "expired on 22 Nov 2026"),
    ],
)
def test_it_warns_of_a_certificate_running_out_within_30_days(until: date, warning: str) -> None:
    assert certificate_warning(certified_until(until), today=TODAY) == (
        f"Dry needling certificate {warning}"
    )


@pytest.mark.parametrize("until", [TODAY + timedelta(days=31), None])
def test_it_says_nothing_of_a_certificate_that_holds_or_of_none(until: date | None) -> None:
    assert certificate_warning(certified_until(until), today=TODAY) is None
