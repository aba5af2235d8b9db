"""Webhook mode: a small tornado server of our own that puts each update on the Application's
queue (python-telegram-bot's documented way to run a custom webhook server).

python-telegram-bot's built-in server reads a whole body (up to 100 MB) into memory before it
looks at the secret, and answers a malformed body with 500. This one, for every POST:
- checks the secret header before any of the body is read: a request without it gets 403, and
  nothing of its body is kept (a small body is read to its end and dropped, so that the answer
  reaches the client before the connection closes);
- refuses a body over MAX_BODY from its Content-Length, or as it streams in (413, or 403 without
  the secret) and closes the connection: no more than MAX_BODY is ever read or held (Telegram's
  updates are a few kilobytes);
- answers anything that is not one update as JSON with 400.
"""

import asyncio
import contextlib
import hmac
import json
import logging
import signal
from collections.abc import Coroutine
from http import HTTPStatus
from typing import Any, TypeVar
from urllib.parse import urlparse

import tornado.web
from telegram import Bot, Update
from telegram.error import BadRequest
from tornado.httpserver import HTTPServer

from bot.application import MahallehApplication
from bot.resilient_bot import keep_trying
from config.settings import Settings

_LOGGER = logging.getLogger(__name__)
MAX_BODY = 1 << 20  # bytes
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class WebhookRefused(Exception):
    """The Bot API refused WEBHOOK_URL (400): a setting to fix, nothing to retry."""


@tornado.web.stream_request_body
class UpdateReceiver(tornado.web.RequestHandler):
    SUPPORTED_METHODS = ("POST",)

    def initialize(self, bot: Bot, queue: asyncio.Queue, secret: str) -> None:
        self.bot, self.queue, self.secret = bot, queue, secret
        self.body = bytearray()
        self.received = 0
        self.forged = False

    def prepare(self) -> None:
        """Runs when the headers are in and before any of the body is read."""
        given = self.request.headers.get(SECRET_HEADER, "")
        self.forged = not hmac.compare_digest(given.encode(), self.secret.encode())
        length = self.request.headers.get("Content-Length")
        if length is not None and (not length.isdigit() or int(length) > MAX_BODY):
            self._refuse_oversize(f"Content-Length {length}")

    def data_received(self, chunk: bytes) -> None:
        if self._finished:
            return
        self.received += len(chunk)
        if self.received > MAX_BODY:  # no Content-Length (chunked), or a false one
            self._refuse_oversize("over the limit as it came")
        elif not self.forged:
            self.body += chunk

    async def post(self) -> None:
        if self._finished:
            return
        if self.forged:
            self._refuse(HTTPStatus.FORBIDDEN)
            return
        try:
            update = Update.de_json(json.loads(self.body), self.bot)
        except Exception:  # not JSON, not an object, not an update python-telegram-bot reads
            update = None
        if not isinstance(update, Update):
            self._refuse(HTTPStatus.BAD_REQUEST, f"{len(self.body)} bytes, not an update")
            return
        await self.queue.put(update)
        self.finish()

    def _refuse_oversize(self, detail: str) -> None:
        """Answer now, without reading the rest: tornado then closes the connection."""
        self._refuse(HTTPStatus.FORBIDDEN if self.forged else HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                     detail)  # fmt: skip

    def _refuse(self, status: HTTPStatus, detail: str = "") -> None:
        level = logging.DEBUG if status == HTTPStatus.FORBIDDEN else logging.INFO
        _LOGGER.log(level, "Webhook request refused: %d %s %s", status, status.phrase, detail)
        self.set_status(status)
        self.finish()


class WebhookApp(tornado.web.Application):
    def __init__(self, path: str, bot: Bot, queue: asyncio.Queue, secret: str) -> None:
        shared = {"bot": bot, "queue": queue, "secret": secret}
        super().__init__([(rf"{path}/?", UpdateReceiver, shared)])

    def log_request(self, handler: tornado.web.RequestHandler) -> None:
        """One access line per update is noise; refusals are logged by the handler."""


async def serve(application: MahallehApplication, settings: Settings) -> None:
    """Start, serve until SIGINT or SIGTERM, stop cleanly. A stop signal also ends the start-up
    while it waits for the Bot API (see `keep_trying`)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in STOP_SIGNALS:
        loop.add_signal_handler(sig, stop.set)
    server: HTTPServer | None = None
    try:
        server = await _unless_stopped(_start(application, settings), stop)
        if server is not None:
            _LOGGER.info("Webhook listening on port %d", settings.webhook_port)
            await stop.wait()
    finally:
        if server is not None:
            server.stop()
            await server.close_all_connections()
        if application.running:
            await application.stop()
        await application.shutdown()  # closes the database, whatever the start-up reached


async def _start(application: MahallehApplication, settings: Settings) -> HTTPServer:
    """Open the database, wait for the Bot API, register the webhook, start handling updates,
    listen. No await after `listen`: a stop signal never leaves a listener behind."""
    url, secret = settings.webhook_url, settings.webhook_secret  # Settings pairs them
    assert url is not None
    assert secret is not None
    await application.initialize()
    if application.post_init:
        await application.post_init(application)
    try:
        await keep_trying(
            lambda: application.bot.set_webhook(
                url, secret_token=secret.get_secret_value(), allowed_updates=Update.ALL_TYPES
            )
        )
    except BadRequest as exc:  # e.g. a port Telegram does not call (443, 80, 88, 8443)
        raise WebhookRefused(exc.message) from None
    await application.start()
    app = WebhookApp(
        urlparse(url).path.rstrip("/"),
        application.bot,
        application.update_queue,
        secret.get_secret_value(),
    )
    server = HTTPServer(
        app,
        max_body_size=2 * MAX_BODY,  # a backstop: the handler refuses at MAX_BODY
        idle_connection_timeout=60,
        body_timeout=30,
    )
    server.listen(settings.webhook_port, address="0.0.0.0")
    return server


_T = TypeVar("_T")


async def _unless_stopped(work: Coroutine[Any, Any, _T], stop: asyncio.Event) -> _T | None:
    """`work`'s result; or None, `work` cancelled, if `stop` is set first."""
    task = asyncio.ensure_future(work)
    stopping = asyncio.ensure_future(stop.wait())
    await asyncio.wait((task, stopping), return_when=asyncio.FIRST_COMPLETED)
    stopping.cancel()
    if task.done():
        return task.result()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    return None
