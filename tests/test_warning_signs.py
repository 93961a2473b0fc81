"""The warning-sign reader against the corpus of replies, and its rules stated one by one."""

import pytest

from scheduler.patients.warning_signs import Reading, Sign, read_signs
from tests.reply_corpus import (
    BREATHING,
    CORPUS,
    DOUBT,
    FAINTING,
    HARMLESS,
    INFECTION,
    MIXED,
    NEGATED,
    NERVES,
    Reply,
)


@pytest.mark.parametrize("reply", CORPUS, ids=[reply.name for reply in CORPUS])
def test_it_reads_each_reply_as_a_clinician_would(reply: Reply) -> None:
    reading = read_signs(reply.text)

    assert (reading.signs, reading.negated) == (reply.signs, reply.negated)


def test_it_finds_every_urgent_reply() -> None:
    replies = [reply for reply in CORPUS if reply.signs]

    missed = [reply.text for reply in replies if not read_signs(reply.text).urgent]

    assert len(replies) >= 90
    assert missed == []


def test_it_never_calls_a_harmless_reply_urgent() -> None:
    replies = [*HARMLESS, *NEGATED]

    alarmed = [reply.text for reply in replies if read_signs(reply.text).urgent]

    assert alarmed == []


def test_it_reads_negated_mentions_as_absent() -> None:
    for reply in (*NEGATED, *MIXED):
        reading = read_signs(reply.text)

        assert set(reply.negated) <= set(reading.negated), reply.text
        assert set(reply.negated).isdisjoint(reading.signs), reply.text


def test_it_takes_doubt_for_no_denial() -> None:
    assert all(read_signs(reply.text).urgent for reply in DOUBT)


def test_the_corpus_has_every_sign_in_several_phrasings() -> None:
    assert len(CORPUS) >= 100
    for sign in Sign:
        assert sum(sign in reply.signs for reply in CORPUS) >= 8, sign
        assert sum(sign in reply.negated for reply in CORPUS) >= 3, sign


@pytest.mark.parametrize(
    "text",
    ["can't breathe", "won't stop bleeding", "no strength in my arm", "cant feel my hand"],
)
def test_a_negation_inside_the_sign_phrase_does_not_negate_it(text: str) -> None:
    assert read_signs(text).urgent


@pytest.mark.parametrize(
    "text", ["dizzy, not sure why", "chest pain no idea why", "bleeding and nothing i do stops it"]
)
def test_a_negation_after_the_sign_does_not_negate_it(text: str) -> None:
    assert read_signs(text).urgent


def test_a_negation_reaches_about_five_words() -> None:
    assert read_signs("never had anything like a fever").negated == (INFECTION,)
    assert read_signs("never had anything at all like this kind of fever before").urgent


@pytest.mark.parametrize("end", [",", ".", "!", " but", " though", " still", " however", " yet"])
def test_a_negation_stops_at_the_end_of_its_clause(end: str) -> None:
    assert read_signs(f"no fever{end} dizzy") == Reading(signs=(FAINTING,), negated=(INFECTION,))


def test_a_list_after_a_negation_shares_it() -> None:
    reading = read_signs("no fever or chills and no numbness or any tingling")

    assert reading == Reading(signs=(), negated=(INFECTION, NERVES))


def test_a_comma_ends_a_negated_list_so_it_errs_to_urgent() -> None:
    # "didnt faint, chest hurts" must not lose its chest pain to the "didnt" before the comma
    assert read_signs("didnt faint, chest hurts") == Reading((BREATHING,), (FAINTING,))
    assert read_signs("no tingling, numbness or weakness") == Reading((NERVES,), ())


def test_a_new_subject_starts_a_new_clause_unless_a_thought_bridges_it() -> None:
    assert read_signs("didnt eat breakfast i fainted") == Reading((FAINTING,), ())
    assert read_signs("i dont think i fainted") == Reading((), (FAINTING,))


def test_it_gives_signs_in_sign_order_without_repeats() -> None:
    reading = read_signs("numb arm, dizzy, fever, bleeding, cant breathe, dizzy again, numb")

    assert reading.signs == tuple(Sign)
    assert reading.negated == ()


def test_it_matches_whole_words_only() -> None:
    assert read_signs("number numbers numbered unfaintly prefever bleedingly") == Reading((), ())


def test_sign_names_are_plain_words_for_the_front_desk() -> None:
    assert [str(sign) for sign in Sign] == [
        "breathing or chest pain",
        "fainting or dizziness",
        "bleeding that will not stop",
        "signs of infection",
        "numbness, tingling or weakness",
    ]


def test_an_empty_or_symbol_only_text_has_no_signs() -> None:
    assert read_signs("") == Reading((), ())
    assert read_signs("👍🙏 ... ?!") == Reading((), ())
