"""Treatment plans in the pages: book a weekly series all or nothing, with what clashes and the
nearest times shown; see it; extend it; cancel the rest."""

import re
from datetime import timedelta

from sqlmodel import col, func, select

from scheduler.clinic.setup import add_time_off
from scheduler.core import db
from scheduler.models import InboundMessage, Visit, VisitStatus
from tests.factories import CURRENT_TIME, assessed_patient, next_weekday
from tests.web_fixtures import Web
from tests.web_pages import clinic_data, submit

TUESDAY = next_weekday(1)


def assessed_alex(web: Web) -> int:
    with clinic_data(web) as session:
        return assessed_patient(session, web.clinic).id or 0


def alex_with_dana_away_in_week_three(web: Web) -> int:
    """Alex, assessed; Dana takes Tuesday off three weeks from now."""
    with clinic_data(web) as session:
        alex = assessed_patient(session, web.clinic)
        away = TUESDAY + timedelta(weeks=2)
        add_time_off(
            session,
            practitioner=web.clinic.dana,
            starts_at=web.clinic.at(away, 8),
            ends_at=web.clinic.at(away, 18),
        )
        return alex.id or 0


def weekly_needling(web: Web, **changes: object) -> dict[str, object]:
    return {
        "service": ["dry-needling-30", "massage-30"],
        "practitioner": [str(web.clinic.dana.id), ""],
        "day": TUESDAY.isoformat(),
        "at": "10:00",
        "every_days": "7",
        "count": "6",
    } | changes


def visits_booked(web: Web) -> int:
    with db.session(web.engine) as session:
        query = select(func.count()).select_from(Visit).where(col(Visit.plan_id).is_not(None))
        return session.exec(query).one()


def test_a_clashing_week_is_shown_with_the_nearest_times_and_nothing_is_booked(pages: Web) -> None:
    alex = alex_with_dana_away_in_week_three(pages)

    with pages.browser("frank") as desk:
        refused = submit(pages, desk, f"/patients/{alex}/plans", **weekly_needling(pages))

    assert refused.status_code == 409
    page = refused.text
    assert "1 of 6 visits cannot be booked as planned; nothing was booked." in page
    assert page.count('class="clash"') == 1
    assert "Nothing was booked." in page
    clash = page[page.index('class="clash"') :].split("</tr>")[0]
    assert re.search(r'class="badge">\w{3} \d+ \w{3}, \d\d:\d\d', clash)
    assert 'value="dry-needling-30" selected' in page  # the form keeps what was chosen
    assert visits_booked(pages) == 0


def test_the_desk_books_a_plan_extends_it_and_cancels_the_rest(pages: Web) -> None:
    alex = assessed_alex(pages)

    with pages.browser("frank") as desk:
        booked = submit(pages, desk, f"/patients/{alex}/plans", **weekly_needling(pages, count="2"))
        assert booked.status_code == 303, booked.text
        plan_url = booked.headers["location"].split("?")[0]
        assert "6 to come" not in desk.get(plan_url).text
        assert "2 to come" in desk.get(plan_url).text
        extended = submit(pages, desk, f"{plan_url}/extend", count="1")
        assert extended.status_code == 303
        assert "3 to come" in desk.get(plan_url).text
        cancelled = submit(pages, desk, f"{plan_url}/cancel-rest")
        page = desk.get(cancelled.headers["location"]).text

    assert "0 to come" in page and "3 cancelled or missed" in page
    assert "The rest of the plan is cancelled." in page
    with db.session(pages.engine) as session:
        statuses = session.exec(select(Visit.status).where(col(Visit.plan_id).is_not(None))).all()
    assert statuses == [VisitStatus.CANCELLED] * 3


def test_the_plan_page_charts_the_soreness_texted_over_the_plan(pages: Web) -> None:
    alex = assessed_alex(pages)
    with pages.browser("frank") as desk:
        booked = submit(pages, desk, f"/patients/{alex}/plans", **weekly_needling(pages, count="2"))
        plan_url = booked.headers["location"].split("?")[0]
        with clinic_data(pages) as session:
            visit = session.exec(select(Visit).where(col(Visit.plan_id).is_not(None))).first()
            assert visit is not None
            for n, score in enumerate((6, 3)):
                session.add(
                    InboundMessage(
                        provider_sid=f"SM-score-{n}",
                        from_phone="+12125550101",
                        body=str(score),
                        received_at=CURRENT_TIME + timedelta(days=n),
                        patient_id=alex,
                        visit_id=visit.id,
                        meaning="soreness",
                        soreness=score,
                    )
                )
        page = desk.get(plan_url).text

    assert "/static/chart.umd.min.js" in page and 'id="soreness-chart"' in page
    assert '"scores": [6, 3]' in page
    assert "6/10" in page and "3/10" in page


def test_an_extension_that_clashes_is_refused_and_books_nothing(pages: Web) -> None:
    alex = alex_with_dana_away_in_week_three(pages)
    with pages.browser("frank") as desk:
        booked = submit(pages, desk, f"/patients/{alex}/plans", **weekly_needling(pages, count="2"))
        plan_url = booked.headers["location"].split("?")[0]
        refused = submit(pages, desk, f"{plan_url}/extend", count="2")

    assert refused.status_code == 409
    assert "1 of 2 visits cannot be booked as planned; nothing was booked." in refused.text
    assert visits_booked(pages) == 2


def test_the_cancel_asks_first_and_a_practitioner_cannot_book_plans(pages: Web) -> None:
    alex = assessed_alex(pages)
    with pages.browser("frank") as desk:
        booked = submit(pages, desk, f"/patients/{alex}/plans", **weekly_needling(pages, count="2"))
        page = desk.get(booked.headers["location"]).text
    with pages.browser("dana") as practitioner:
        refused = submit(pages, practitioner, f"/patients/{alex}/plans", **weekly_needling(pages))

    assert '<details class="confirm-cancel">' in page and "Yes, cancel them" in page
    assert refused.status_code == 403
