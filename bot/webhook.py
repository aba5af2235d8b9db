"""Webhook mode: a small tornado server of our own that puts each update on the Application's
queue (python-telegram-bot's documented way to run a custom webhook server).

python-telegram-bot's built-in server reads a whole body (up to 100 MB) into memory before it
looks at the secret, and answers a malformed body with 500. This one, for every POST:
- checks the secret header first, before any of the body is read (403);
- refuses a body over MAX_BODY from its Content-Length, or as it streams in (413), so no more
  than MAX_BODY of it is ever held (Telegram's updates are a few kilobytes);
- answers anything that is not one update as JSON with 400.
"""

import asyncio
import contextlib
import hmac
import json
import logging
import signal
from http import HTTPStatus
from urllib.parse import urlparse

import tornado.web
from telegram import Bot, Update
from telegram.error import BadRequest
from tornado.httpserver import HTTPServer

from bot.context import MahallehApplication
from bot.polling import keep_trying
from config.settings import Settings

_LOGGER = logging.getLogger(__name__)
MAX_BODY = 1 << 20  # bytes
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class WebhookRefused(Exception):
    """The Bot API refused WEBHOOK_URL (400): a setting to fix, nothing to retry."""


@tornado.web.stream_request_body
class UpdateReceiver(tornado.web.RequestHandler):
    SUPPORTED_METHODS = ("POST",)  # type: ignore[assignment]

    def initialize(self, bot: Bot, queue: asyncio.Queue, secret: str) -> None:
        self.bot, self.queue, self.secret = bot, queue, secret
        self.body = bytearray()

    def prepare(self) -> None:
        """Runs when the headers are in and before any of the body is read."""
        given = self.request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self.secret.encode()):
            self._refuse(HTTPStatus.FORBIDDEN)
            return
        length = self.request.headers.get("Content-Length")
        if length is not None and (not length.isdigit() or int(length) > MAX_BODY):
            self._refuse(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, length)

    def data_received(self, chunk: bytes) -> None:
        if self._finished:
            return
        if len(self.body) + len(chunk) > MAX_BODY:  # no Content-Length (chunked), or a lie
            self._refuse(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "over the limit")
            return
        self.body += chunk

    async def post(self) -> None:
        if self._finished:
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
    """Register the webhook and serve until SIGINT or SIGTERM; then stop cleanly. Without a
    route to the Bot API this waits and tries again (see `keep_trying`)."""
    url, secret = settings.webhook_url, settings.webhook_secret  # Settings pairs them
    assert url is not None
    assert secret is not None
    secret_token = secret.get_secret_value()
    main = asyncio.current_task()
    loop = asyncio.get_running_loop()
    for sig in STOP_SIGNALS:
        loop.add_signal_handler(sig, main.cancel)
    with contextlib.suppress(asyncio.CancelledError):
        async with application:  # opens the database, waits for the Bot API; shuts down
            if application.post_init:
                await application.post_init(application)
            try:
                await keep_trying(
                    lambda: application.bot.set_webhook(
                        url, secret_token=secret_token, allowed_updates=Update.ALL_TYPES
                    )
                )
            except BadRequest as exc:  # e.g. a port Telegram does not call (443, 80, 88, 8443)
                raise WebhookRefused(exc.message) from None
            path = urlparse(url).path.rstrip("/")
            server = HTTPServer(
                WebhookApp(path, application.bot, application.update_queue, secret_token),
                max_body_size=2 * MAX_BODY,  # a backstop: the handler refuses at MAX_BODY
                idle_connection_timeout=60,
                body_timeout=30,
            )
            server.listen(settings.webhook_port, address="0.0.0.0")
            await application.start()
            _LOGGER.info("Webhook listening on port %d", settings.webhook_port)
            try:
                await asyncio.Event().wait()  # until a stop signal cancels this task
            finally:
                server.stop()
                await server.close_all_connections()
                await application.stop()
