"""Every text fits its budget and carries nothing from the intake."""

import pytest

from scheduler.errors import RuleViolation
from scheduler.templates import BUILT_IN, check_placeholders, render

LONGEST = {
    "clinic": "Riverside Physiotherapy & Sports Rehab",
    "phone": "+1 (212) 555-0100",
    "first_name": "Maximiliana",
    "day": "Wednesday 30 September",
    "time": "12:45",
    "link": "https://book.riverside-physio.example.com/w/1234567.AbCdEfGhIjKlMnOp",
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


def test_it_refuses_a_placeholder_that_could_reach_the_intake() -> None:
    with pytest.raises(RuleViolation, match="Unknown placeholder"):
        check_placeholders("reminder", "Hi {first_name}, about your {conditions}")
