"""The production HTTP door: Starlette on uvicorn, ``POST /slack/events`` and ``GET /healthz``."""

from __future__ import annotations

import contextlib
from typing import AsyncIterator, Protocol, Sequence

from slack_bolt import App
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route



class Background(Protocol):
    """Something that runs beside the web app (the outbox worker, the scheduler)."""

    def start(self) -> None: ...

    def stop(self) -> None: ...


def create_web_app(
    bolt_app: App, session_factory: sessionmaker[Session], background: Sequence[Background] = ()
) -> Starlette:
    """An ASGI app serving Slack's requests; the background parts live as long as it does."""

    async def slack_events(request: Request) -> Response:
        # Bolt's App is synchronous: it runs (until the ack) in a worker thread so that one slow
        # request (a new member's users.info, a busy database) never holds up the others.
        body = await request.body()
        bolt_response = await run_in_threadpool(bolt_app.dispatch, to_bolt_request(request, body))
        return to_starlette_response(bolt_response)

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
        ],
        lifespan=lifespan,
    )
