"""The clinic's consent for dry needling, kept as versions: a patient signs one version, and an
admin's edit adds the next instead of changing the words someone already signed.

Until an admin writes their own, the clinic uses the built-in text below, stored as version 1 the
first time anyone reads it. It says, in plain words, what dry needling is, what to expect, the
rare serious risks a regulator expects to be disclosed, the warning signs and what to do, and
that the patient may stop at any time.
"""

from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from scheduler.core import audit
from scheduler.core.errors import Conflict, RuleViolation
from scheduler.models import ConsentText

BUILT_IN_BY = "built in"
MOST_CHARACTERS = 10_000

BUILT_IN = """\
What dry needling is
Your practitioner puts very thin, sterile needles through the skin into tight, tender knots in \
a muscle. Nothing is injected. Each needle is used once and thrown away. A session usually \
takes 15 to 30 minutes.

What to expect
You may feel a brief ache or a twitch in the muscle while it is treated. Afterwards the area \
may be sore for a day or two, a needle site may bleed a little, and small bruises may appear \
and fade. Some people feel tired, or faint during or just after a session: tell your \
practitioner at once if you feel unwell.

Rare but serious risks
- A collapsed lung, when needles are used near the chest, upper back, neck or shoulders. It \
shows the same day or the next: chest or upper back pain, being short of breath, or pain when \
you breathe in.
- Irritation of a nerve: tingling, numbness or weakness that does not pass.
- Infection where a needle went in: redness that spreads, heat, swelling, pus or a fever.

If you notice any of these signs
Call the clinic straight away. If you are short of breath or have chest pain, or you cannot \
reach us, call the emergency number or go to the nearest emergency department.

Your choice
Taking part is up to you. You can ask questions at any time, and you can ask your practitioner \
to stop at any moment, during a session or for good.
"""


def current_consent(session: Session, *, now: datetime) -> ConsentText:
    """The newest version; the built-in text becomes version 1 when there is none yet."""
    newest = session.exec(select(ConsentText).order_by(col(ConsentText.version).desc())).first()
    if newest is not None:
        return newest
    _add(session, ConsentText(version=1, body=BUILT_IN, created_at=now, created_by=BUILT_IN_BY))
    return session.get_one(ConsentText, 1)  # ours, or the one a concurrent first read added


def revise_consent(session: Session, *, body: str, now: datetime, actor: str) -> ConsentText:
    """A new version with `body`; the same words as the current version add nothing."""
    body = body.replace("\r\n", "\n").strip()
    if not body:
        raise RuleViolation("The consent text is empty.", field="body", code="empty_consent")
    if len(body) > MOST_CHARACTERS:
        raise RuleViolation(
            f"The consent text is longer than {MOST_CHARACTERS:,} characters.",
            field="body",
            code="consent_too_long",
        )
    current = current_consent(session, now=now)
    if current.body.strip() == body:
        return current
    revised = ConsentText(version=current.version + 1, body=body, created_at=now, created_by=actor)
    if not _add(session, revised):
        raise Conflict(
            "Someone changed the consent text a moment ago; read their version and try again.",
            field="body",
            code="consent_changed",
        )
    audit.record(
        session,
        actor=actor,
        action="consent.revised",
        subject=f"consent:{revised.version}",
        now=now,
    )
    return revised


def consent_versions(session: Session) -> list[ConsentText]:
    """Every version, the newest first."""
    return list(session.exec(select(ConsentText).order_by(col(ConsentText.version).desc())).all())


def _add(session: Session, version: ConsentText) -> bool:
    """Adds the version unless another transaction added that number first."""
    try:
        with session.begin_nested():
            session.add(version)
    except IntegrityError:
        return False
    return True
