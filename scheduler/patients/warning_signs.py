"""Warning signs in a patient's text after dry needling: what must reach a person at once.

Five signs matter the day of a needling visit or the morning after: a collapsed lung (breathless,
chest pain, pain on breathing in), fainting or dizziness, bleeding that does not stop, infection
at a needle site, and new numbness, tingling or weakness. `read_signs` says which of them a text
affirms and which it mentions only as absent. Normal aftercare (soreness, a bruise, twitching, a
tight muscle, tiredness) is no sign. Pure Python: no I/O, no state; patterns compile at import.

Method:
1. Normalise: lower case; apostrophes dropped ("can't" and "cant" both read "cant"); punctuation
   kept as words of their own, an emoji ends a clause, other symbols are spaces; letters typed
   three or more times in a row count twice ("dizzzzy"); a few typos are mended ("dizzey",
   "tinglin").
2. Lexicon (`sign_words`): one table of phrases per sign, small regular expressions over whole
   words ("*" stands for up to two words in between). A short list of harmless phrases ("a
   little bleeding", "faint bruise") covers words that would otherwise read as a sign.
3. Negation after NegEx (Chapman et al., 2001): a trigger ("no", "not", "didnt", "without", ...)
   at most five words before a phrase negates it, unless the clause ends in between (punctuation,
   "but", "though", "still", ..., or a new subject such as "im"). Pseudo-negations ("not sure",
   "no idea", "not great") negate nothing; words inside a phrase ("cant breathe") or after it never
   negate it. A phrase listed right after a negated one ("no fever or chills") is negated too.

When unsure it reads a sign as there: a missed sign costs more than a call to a sore patient.
"""

import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from scheduler.patients import sign_words
from scheduler.patients.sign_words import Sign

__all__ = ["Reading", "Sign", "read_signs"]


@dataclass(frozen=True)
class Reading:
    """What a text says about the warning signs."""

    signs: tuple[Sign, ...]  # affirmed, in Sign order, no repeats
    negated: tuple[Sign, ...]  # mentioned only as absent (never also in signs)

    @property
    def urgent(self) -> bool:
        """Whether a person must look at the text now: it affirms at least one sign."""
        return bool(self.signs)


def _compile(phrase: str) -> re.Pattern[str]:
    """One phrase of the tables, matched on whole words of a normalised text."""
    body = phrase.replace(" * ", " " + sign_words.FILLER)
    for short, forms in sign_words.FORMS.items():
        body = body.replace(short, f"(?:{forms})")
    return re.compile(rf"(?<![^ ])(?:{body})(?![^ ])")


_LEXICON = tuple(
    (sign, _compile(phrase)) for sign, phrases in sign_words.PHRASES.items() for phrase in phrases
)
_HARMLESS_PATTERNS = tuple(_compile(phrase) for phrase in sign_words.HARMLESS)
_NEGATION_PATTERNS = tuple(_compile(phrase) for phrase in sign_words.NEGATIONS)
_PSEUDO_PATTERNS = tuple(_compile(phrase) for phrase in sign_words.PSEUDO_NEGATIONS)


@dataclass(frozen=True)
class _Mention:
    sign: Sign
    start: int  # index of the phrase's first word
    end: int  # index after its last word


def read_signs(text: str) -> Reading:
    """Which warning signs a patient's text affirms, and which it mentions only as absent."""
    words = _normalise(text)
    line = " ".join(words)
    mentions = _mentions(line)
    triggers = _trigger_ends(line, mentions)
    decided: list[tuple[_Mention, bool]] = []
    for mention in mentions:
        decided.append((mention, _is_negated(mention, words, triggers, decided)))
    affirmed = {mention.sign for mention, negated in decided if not negated}
    denied = {mention.sign for mention, negated in decided if negated} - affirmed
    return Reading(signs=_in_order(affirmed), negated=_in_order(denied))


def _normalise(text: str) -> list[str]:
    """The text's words, lower case, with each punctuation mark a word of its own."""
    spaced = "".join(_character(char) for char in text.lower())
    unstretched = sign_words.STRETCHED.sub(r"\1\1", spaced)
    return " ".join(_spelling(word) for word in unstretched.split()).split()


def _character(char: str) -> str:
    if char in sign_words.CHARACTERS:
        return sign_words.CHARACTERS[char]
    if char.isalnum():
        return char
    category = unicodedata.category(char)
    if category in {"So", "Cs"}:  # an emoji or pictograph closes what came before it
        return " . "
    return "" if category in {"Mn", "Me", "Cf", "Sk"} else " "  # joiners, skin tones


def _spelling(word: str) -> str:
    if word in sign_words.SPELLINGS:
        return sign_words.SPELLINGS[word]
    if word.endswith("in") and word + "g" in sign_words.ING_WORDS:
        return word + "g"
    return word


def _spans(pattern: re.Pattern[str], line: str) -> Iterator[tuple[int, int]]:
    """Each match as (index of its first word, index after its last word)."""
    for match in pattern.finditer(line):
        start = line.count(" ", 0, match.start())
        yield start, start + match.group().count(" ") + 1


def _mentions(line: str) -> list[_Mention]:
    """Every sign phrase in the line that no harmless phrase covers, in reading order."""
    harmless = [span for pattern in _HARMLESS_PATTERNS for span in _spans(pattern, line)]
    found = [
        _Mention(sign, start, end)
        for sign, pattern in _LEXICON
        for start, end in _spans(pattern, line)
        if not any(low <= start and end <= high for low, high in harmless)
    ]
    return sorted(found, key=lambda mention: (mention.start, -mention.end))


def _trigger_ends(line: str, mentions: Sequence[_Mention]) -> frozenset[int]:
    """The last word of each negation trigger outside sign phrases and pseudo-negations."""
    taken = {index for mention in mentions for index in range(mention.start, mention.end)}
    for pattern in _PSEUDO_PATTERNS:
        taken.update(index for start, end in _spans(pattern, line) for index in range(start, end))
    return frozenset(
        end - 1
        for pattern in _NEGATION_PATTERNS
        for start, end in _spans(pattern, line)
        if taken.isdisjoint(range(start, end))
    )


def _is_negated(
    mention: _Mention,
    words: Sequence[str],
    triggers: frozenset[int],
    decided: Sequence[tuple[_Mention, bool]],
) -> bool:
    """NegEx: a trigger a few words before the phrase, in the same clause, negates it."""
    listed = True  # only list words ("or", "any") between this phrase and the word looked at
    for index in range(mention.start - 1, max(mention.start - sign_words.WINDOW - 2, -1), -1):
        earlier = _verdict_covering(decided, index)
        if earlier is not None:
            return earlier and listed  # "no fever or chills": the list shares its negation
        if index in triggers:
            return True
        if _ends_clause(words, index):
            return False
        listed = listed and words[index] in sign_words.LIST_WORDS
    return False


def _verdict_covering(decided: Sequence[tuple[_Mention, bool]], index: int) -> bool | None:
    """Whether the earlier sign phrase covering word `index` was negated; None if none does."""
    for mention, negated in reversed(decided):
        if mention.start <= index < mention.end:
            return negated
    return None


def _ends_clause(words: Sequence[str], index: int) -> bool:
    word = words[index]
    if word in sign_words.CLAUSE_ENDS:
        return True
    return word in sign_words.SUBJECTS and index > 0 and words[index - 1] not in sign_words.BRIDGES


def _in_order(signs: set[Sign]) -> tuple[Sign, ...]:
    return tuple(sign for sign in Sign if sign in signs)
