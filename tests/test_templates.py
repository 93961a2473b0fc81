"""Every text fits its budget and carries nothing from the intake."""

import pytest

from scheduler.core.errors import RuleViolation
from scheduler.messaging.templates import BUILT_IN, LONGEST_VALUES, check_placeholders, render

# The samples the admin's preview measures with, and a long clinic name and number.
LONGEST = LONGEST_VALUES | {
    "clinic": "Riverside Physiotherapy & Sports Rehab",
    "phone": "+1 (212) 555-0100",
}
INTAKE = [
    "low back pain",
    "cervicogenic headache",
    "warfarin",
    "anticoagulants",
    "pregnancy",
    "diabetes",
    "ibuprofen",
    "trigger point",
    "dry needling",
    "needle",
]


@pytest.mark.parametrize("name", sorted(BUILT_IN))
def test_it_keeps_each_text_within_its_segment_budget(name: str) -> None:
    rendered = render(name, BUILT_IN[name][0], LONGEST)

    assert rendered.measure.encoding == "GSM-7"
    assert rendered.within_budget, (rendered.measure, rendered.text)


@pytest.mark.parametrize("name", sorted(BUILT_IN))
def test_it_never_puts_clinical_content_in_a_text(name: str) -> None:
    rendered = render(name, BUILT_IN[name][0], LONGEST).text.lower()

    assert not [word for word in INTAKE if word in rendered]


def test_it_says_wear_loose_clothing_before_needling_only() -> None:
    assert "loose clothing" in BUILT_IN["reminder_needling"][0]
    assert "loose clothing" not in BUILT_IN["reminder"][0]


@pytest.mark.parametrize("name", ["reminder", "reminder_needling", "reschedule_notice"])
def test_it_gives_the_visits_link_and_the_way_to_confirm_before_the_visit(name: str) -> None:
    text = BUILT_IN[name][0]

    assert "{link}" in text and "Reply C to confirm" in text
    assert all(f"{{{value}}}" in text for value in ("clinic", "day", "time"))


def test_it_refuses_a_placeholder_that_could_reach_the_intake() -> None:
    with pytest.raises(RuleViolation, match="Unknown placeholder"):
        check_placeholders("reminder", "Hi {first_name}, about your {conditions}")
