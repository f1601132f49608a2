"""The production HTTP door: Starlette on uvicorn, ``POST /slack/events`` and ``GET /healthz``; with
OAuth, ``GET /slack/install`` and ``GET /slack/oauth_redirect`` too."""

from __future__ import annotations

import contextlib
import logging
import time
from typing import AsyncIterator, Protocol, Sequence

import anyio.to_thread
from anyio import CapacityLimiter
from slack_bolt import App, BoltContext, BoltResponse
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from slack_bolt.request.internals import build_context
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.handlers.deps import ARRIVED
from bot.handlers.door import MAX_BODY, Door, Refusal, check_size


logger = logging.getLogger(__name__)


def _refuse(refusal: Refusal) -> Response:
    logger.info("refused a Slack request: %s (%s)", refusal.status, refusal.reason)
    return JSONResponse({"ok": False, "error": refusal.reason}, status_code=refusal.status)


class Background(Protocol):
    """Something that runs beside the web app (the outbox worker, the scheduler)."""

    def start(self) -> None: ...

    def stop(self) -> None: ...


def create_web_app(
    bolt_app: App,
    session_factory: sessionmaker[Session],
    background: Sequence[Background] = (),
    *,
    threads: int = 40,
    signing_secret: str | None = None,
) -> Starlette:
    """An ASGI app serving Slack's requests; the background parts live as long as it does.

    Bolt's App is synchronous: each request is dispatched in one of ``threads`` threads (its own
    limiter, not anyio's shared default) so that a slow request (a busy database) never holds
    up the others; the listener itself runs in Bolt's ``listener_executor`` (sized alike).
    Every request passes the door check (``bot/handlers/door.py``) first: a clean 4xx at once for
    what is too large, unsigned, badly encoded or not shaped as Slack's."""
    limiter: CapacityLimiter | None = None
    door = Door(signing_secret)

    async def slack_events(request: Request) -> Response:
        nonlocal limiter
        arrived = time.monotonic()  # before the body and the queue: the ack deadline counts from here
        if limiter is None:
            limiter = CapacityLimiter(threads)  # made inside the event loop it serves
        body = await _read_body(request)
        if isinstance(body, Response):
            return body

        def checked_dispatch() -> Refusal | BoltResponse:
            # In the dispatch thread: a large body's parse never holds up the event loop.
            checked = door.check(request.headers, body)
            if isinstance(checked, Refusal):
                return checked
            bolt_request = to_bolt_request(request, body, {ARRIVED: arrived})
            if bolt_request.body != checked:
                # Bolt reads a form holding the word "payload" as an empty payload: keep the door's reading.
                bolt_request.body = checked
                bolt_request.context = build_context(BoltContext({ARRIVED: arrived}), checked)
            return bolt_app.dispatch(bolt_request)

        answer = await anyio.to_thread.run_sync(checked_dispatch, limiter=limiter)
        return _refuse(answer) if isinstance(answer, Refusal) else to_starlette_response(answer)

    async def _read_body(request: Request) -> bytes | Response:
        """The body, read no further than :data:`MAX_BODY`; a 413 past it, a 400 for a client gone mid-body."""
        refusal = check_size(request.headers.get("content-length"))
        if refusal is not None:
            return _refuse(refusal)
        chunks: list[bytes] = []
        received = 0
        try:
            async for chunk in request.stream():
                received += len(chunk)
                if received > MAX_BODY:
                    return _refuse(Refusal(413, "body too large"))
                chunks.append(chunk)
        except ClientDisconnect:
            # Nobody is left to read the answer; nothing was parsed nor stored.
            logger.info("client disconnected before the whole body arrived")
            return Response(status_code=400)
        return b"".join(chunks)

    async def healthz(_request: Request) -> Response:
        try:
            with session_factory() as session:
                session.execute(text("SELECT 1"))
        except Exception as exc:  # report, don't crash: the load balancer reads the status
            return JSONResponse({"ok": False, "database": str(exc.__class__.__name__)}, status_code=503)
        return JSONResponse({"ok": True})

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        for part in background:
            part.start()
        try:
            yield
        finally:
            for part in reversed(background):
                part.stop()

    return Starlette(
        routes=[
            Route("/slack/events", slack_events, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
            *_oauth_routes(bolt_app),
        ],
        lifespan=lifespan,
    )


def _oauth_routes(bolt_app: App) -> list[Route]:
    """GET /slack/install ("Add to Slack") and /slack/oauth_redirect when the app has an OAuth flow."""
    flow = bolt_app.oauth_flow
    if flow is None:
        return []

    async def oauth_page(request: Request) -> Response:
        # Bolt's flow writes to the database (the state, the installation): a thread, not the loop.
        handle = flow.handle_installation if request.url.path == flow.install_path else flow.handle_callback
        bolt_request = to_bolt_request(request, await request.body())
        return to_starlette_response(await anyio.to_thread.run_sync(handle, bolt_request))

    return [Route(flow.install_path, oauth_page, methods=["GET"]),
            Route(flow.redirect_uri_path, oauth_page, methods=["GET"])]
