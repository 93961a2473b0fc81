from tests.factories import assessed_patient, book, make_patient, next_weekday
from tests.web_fixtures import Web
from tests.web_pages import clinic_data

TUESDAY = next_weekday(1)


def test_it_shows_todays_board_with_a_column_per_practitioner(pages: Web) -> None:
    with pages.browser("frank") as client:
        response = client.get("/board")

    assert response.status_code == 200
    assert "Monday 23 November 2026" in response.text
    for name in ("Dana Whitfield", "Lena Novak", "Marcus Chen", "Priya Raman"):
        assert name in response.text


def test_it_shows_a_combined_visit_linked_coloured_by_service_with_its_rooms(pages: Web) -> None:
    with clinic_data(pages) as session:
        alex = assessed_patient(session, pages.clinic)
        visit = book(session, alex, pages.clinic.at(TUESDAY, 10), "dry-needling-30", "massage-60")

    with pages.browser("frank") as client:
        response = client.get(f"/board?day={TUESDAY}&visit={visit.id}")

    page = response.text
    assert page.count(f'data-visit="{visit.id}"') == 2
    assert "kind-dry_needling" in page and "kind-massage" in page
    assert "appt kind-dry_needling status-booked medium linked highlight" in page
    assert "then Massage, 60 min" in page and "after Dry needling, 30 min" in page
    assert "Room 1" in page


def test_it_shows_intake_flags_but_never_intake_details(pages: Web) -> None:
    with clinic_data(pages) as session:
        bea = make_patient(session, intake=True, flags=["anticoagulants"])
        book(
            session, bea, pages.clinic.at(TUESDAY, 9), "massage-30", practitioner=pages.clinic.lena
        )

    with pages.browser("frank") as client:
        page = client.get(f"/board?day={TUESDAY}").text

    assert "flags: anticoagulants" in page
    assert "ibuprofen" not in page and "low back pain" not in page


def test_it_is_for_the_front_desk_and_admins_only(pages: Web) -> None:
    with pages.browser("ada") as client:
        assert client.get("/board").status_code == 200
    with pages.browser("dana") as client:
        refused = client.get("/board", headers={"Accept": "text/html"})

    assert refused.status_code == 403
    assert "Not for your role" in refused.text


def test_it_sends_a_visitor_without_a_session_to_sign_in(pages: Web) -> None:
    with pages.client() as client:
        response = client.get("/board", headers={"Accept": "text/html"})

    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/board"


def test_it_says_what_is_wrong_with_a_day_it_cannot_read(pages: Web) -> None:
    with pages.browser("frank") as client:
        response = client.get("/board?day=tomorrow", headers={"Accept": "text/html"})

    assert response.status_code == 422
    assert "use YYYY-MM-DD" in response.text


def test_it_says_so_when_nobody_works_that_day(pages: Web) -> None:
    with pages.browser("frank") as client:
        page = client.get(f"/board?day={next_weekday(6)}").text

    assert "Nobody works on Sundays" in page


def test_each_visit_says_whether_it_is_confirmed_and_a_short_one_its_service_and_room(
    pages: Web,
) -> None:
    with clinic_data(pages) as session:
        alex = assessed_patient(session, pages.clinic)
        visit = book(session, alex, pages.clinic.at(TUESDAY, 10), "dry-needling-15")
        visit.confirmed_at = visit.booked_at
        session.add(visit)
        bea = make_patient(session, phone="+12125550102")
        book(session, bea, pages.clinic.at(TUESDAY, 14), "massage-30")

    with pages.browser("frank") as client:
        page = client.get(f"/board?day={TUESDAY}").text

    assert 'aria-label="confirmed"' in page and 'aria-label="not confirmed yet"' in page
    short = page[page.index("appt kind-dry_needling status-booked short") :].split("</a>")[0]
    assert "Dry needling, 15 min · Room" in short and "confirmed by text" in short
