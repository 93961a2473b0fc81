"""Headers every response carries: no page of ours may be framed by another site (the staff
pages' forms could be clicked through a frame), no answer is read as another type than it says,
and an address leaves the site only as its origin. A route that sets one itself keeps its own
(the patients' pages send no referrer at all)."""

from starlette.types import ASGIApp, Message, Receive, Scope, Send

BASELINE = (
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
)


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers.extend(header for header in BASELINE if header[0] not in present)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
