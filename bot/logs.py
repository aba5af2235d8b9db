"""What the log carries, and what it never does.

At INFO: start and stop, errors, announcements, a minute's summary. DEBUG adds the framework's
own flow (handlers chosen, jobs, persistence runs), never what people wrote or their phone
numbers, and at no level the token: every line passes a `Redactor` on the way out.
"""

import logging
from collections.abc import Mapping
from urllib.parse import urlparse

from config.settings import Settings

TOKEN_MARK = "<token>"
SECRET_MARK = "<secret>"
HIDDEN = "<hidden>"

# Loggers held above DEBUG whatever LOG_LEVEL says: httpx logs every request URL (and the URL
# holds the token); aiosqlite logs each statement with its parameters (phones, texts); the
# scheduler logs every run of every job, which buries what an operator needs.
_FLOORS = {
    "httpx": logging.WARNING,
    "httpcore": logging.INFO,
    "aiosqlite": logging.INFO,
    "apscheduler": logging.WARNING,
}

# python-telegram-bot's DEBUG lines that carry a whole update or a Bot API payload: the line
# stays (it shows the flow), the arguments at these positions are hidden.
_PAYLOAD_LINES: dict[str, tuple[int, ...]] = {
    "Processing update %s": (0,),
    "Dropping pending update: %s": (0,),
    "Calling Bot API endpoint `%s` with parameters `%s`": (1,),
    "Call to Bot API endpoint `%s` finished with return value `%s`": (1,),
    "Webhook received data: %s": (0,),
}


class Redactor(logging.Filter):
    """Replaces every secret in a log line (message, traceback, stack) by its mark, and hides
    the payload of python-telegram-bot's dump lines. Attached to the handlers, so it sees every
    record whichever logger it came from."""

    def __init__(self, secrets: Mapping[str, str]) -> None:
        super().__init__()
        # Longest first: the whole token before its secret half.
        self.secrets = sorted(
            ((s, mark) for s, mark in secrets.items() if s), key=lambda p: -len(p[0])
        )

    def scrub(self, text: str) -> str:
        for secret, mark in self.secrets:
            text = text.replace(secret, mark)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        hidden = _PAYLOAD_LINES.get(record.msg) if isinstance(record.msg, str) else None
        if hidden and isinstance(record.args, tuple):
            record.args = tuple(HIDDEN if i in hidden else a for i, a in enumerate(record.args))
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # arguments that do not fit the line: keep the line
            message = str(record.msg)
        record.msg, record.args = self.scrub(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.scrub(record.exc_text)
        if record.stack_info:
            record.stack_info = self.scrub(record.stack_info)
        return True


def secrets_of(settings: Settings) -> dict[str, str]:
    """What must never reach the log, with the mark that replaces it."""
    token = settings.bot_token.get_secret_value()
    found = {token: TOKEN_MARK, token.partition(":")[2]: TOKEN_MARK}
    if settings.webhook_secret:
        found[settings.webhook_secret.get_secret_value()] = SECRET_MARK
    if settings.proxy_url:
        password = urlparse(settings.proxy_url.get_secret_value()).password
        if password:
            found[password] = SECRET_MARK
    # A fragment too short could be an ordinary word; a real token's halves are long.
    return {secret: mark for secret, mark in found.items() if len(secret) >= 6}


def configure_logging(level: str, secrets: Mapping[str, str] | None = None) -> None:
    """The root handler at `level`, its records redacted; the noisy loggers held back."""
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    redactor = Redactor(secrets or {})
    for handler in logging.getLogger().handlers:
        for old in [f for f in handler.filters if isinstance(f, Redactor)]:
            handler.removeFilter(old)
        handler.addFilter(redactor)
    for name, floor in _FLOORS.items():
        logger = logging.getLogger(name)
        logger.setLevel(max(floor, logging.getLevelName(level)))
