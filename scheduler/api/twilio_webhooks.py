"""Twilio's webhooks: delivery status callbacks and patients' texts.

Every request must carry a valid X-Twilio-Signature over our configured public URL; anything
else gets 403 and changes nothing. These routes need no CSRF token: no cookie authenticates them.
"""

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from twilio.request_validator import RequestValidator

from scheduler.api.auth import PUBLIC
from scheduler.api.deps import NowDep, PolicyDep, SettingsDep, WriteSessionDep
from scheduler.messaging.delivery_status import apply_status
from scheduler.patients.replies import receive_text

router = APIRouter(prefix="/webhooks/twilio", tags=["webhooks"], dependencies=[PUBLIC])
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


async def signed_form(request: Request, settings: SettingsDep) -> dict[str, str]:
    """The form fields of a request Twilio really sent, checked against the public URL."""
    form = {key: str(value) for key, value in (await request.form()).items()}
    signature = request.headers.get("X-Twilio-Signature", "")
    url = settings.public_url.rstrip("/") + request.url.path
    if request.url.query:
        url += f"?{request.url.query}"
    token = settings.twilio_auth_token
    if not token or not signature or not RequestValidator(token).validate(url, form, signature):
        raise HTTPException(status_code=403, detail="invalid Twilio signature")
    return form


SignedForm = Annotated[dict[str, str], Depends(signed_form)]


@router.post("/status", status_code=204)
def status_callback(
    form: SignedForm,
    session: WriteSessionDep,
    now: NowDep,
    message_id: Annotated[int, Query(ge=1)],
) -> Response:
    apply_status(
        session,
        message_id=message_id,
        sid=form.get("MessageSid", ""),
        provider_status=form.get("MessageStatus", ""),
        error_code=form.get("ErrorCode") or None,
        now=now,
    )
    return Response(status_code=204)


@router.post("/inbound")
def inbound_text(
    form: SignedForm, session: WriteSessionDep, now: NowDep, policy: PolicyDep
) -> Response:
    receive_text(
        session,
        sid=form.get("MessageSid", ""),
        from_phone=form.get("From", ""),
        body=form.get("Body", ""),
        now=now,
        policy=policy,
    )
    return Response(EMPTY_TWIML, media_type="application/xml")
