"""The outbox worker: the one place that sends what the database says the bot owes.

Rows are claimed a few at a time (marked 'sending', one per chat so that a chat gets its
messages in order), handed to the bot, whose `FloodControl` paces them under Telegram's limits
behind the replies people wait for and waits out 429s, and marked sent, retried later (network
trouble, with backoff), blocked (403) or failed (a request Telegram will never accept). After a
crash, rows still 'sending' are sent again: only those in flight at that instant can reach
someone twice.
"""

import asyncio
import contextlib
import functools
import logging
from datetime import datetime, timedelta
from typing import Any

from telegram import (
    Bot,
    InlineKeyboardMarkup,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    ReplyParameters,
)
from telegram.error import BadRequest, Forbidden, NetworkError, TelegramError
from telegram.ext import CallbackContext

from bot.flood_control import FloodControl, Priority
from bot.storage import PRIORITY_PERSONAL, OutboxRow, Storage

_LOGGER = logging.getLogger(__name__)


async def send(bot: Bot, row: OutboxRow, urgency: Priority | None = None) -> Message | bool:
    """Perform one owed Bot API call. Payload keys: text, markup, reply_to, file_id,
    latitude/longitude, message_id (for edits). `urgency` by default follows the row's
    priority (a preview the author waits for is a reply)."""
    p = row.payload
    if urgency is None:
        urgency = Priority.NOTICE if row.priority <= PRIORITY_PERSONAL else Priority.BULK
    common: dict[str, Any] = {"chat_id": row.chat_id, "rate_limit_args": urgency}
    if p.get("markup"):
        common["reply_markup"] = _markup(p["markup"], bot)
    if p.get("reply_to"):
        common["reply_parameters"] = ReplyParameters(
            p["reply_to"], allow_sending_without_reply=True
        )
    text = p.get("text")
    match row.kind:
        case "message":
            return await bot.send_message(text=text, **common)
        case "photo":
            return await bot.send_photo(photo=p["file_id"], caption=text, **common)
        case "video":
            return await bot.send_video(video=p["file_id"], caption=text, **common)
        case "voice":
            return await bot.send_voice(voice=p["file_id"], caption=text, **common)
        case "document":
            return await bot.send_document(document=p["file_id"], caption=text, **common)
        case "location":
            return await bot.send_location(
                latitude=p["latitude"], longitude=p["longitude"], **common
            )
        case "edit":
            common.pop("reply_parameters", None)
            return await bot.edit_message_text(text=text, message_id=p["message_id"], **common)
    raise ValueError(f"unknown outbox kind {row.kind!r}")


def _markup(
    data: dict, bot: Bot
) -> InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove:
    if "inline_keyboard" in data:
        return InlineKeyboardMarkup.de_json(data, bot)
    if "keyboard" in data:
        return ReplyKeyboardMarkup.de_json(data, bot)
    return ReplyKeyboardRemove()


class DeliveryWorker:
    """Keeps up to `concurrency` owed messages with the bot at once: enough that the budget
    `FloodControl` hands out is never idle for want of something to send, even while some
    chats wait their turn."""

    def __init__(self, bot: Bot, storage: Storage, *, concurrency: int = 32,
                 max_attempts: int = 8) -> None:  # fmt: skip
        self.bot = bot
        self.storage = storage
        self.concurrency = concurrency
        self.max_attempts = max_attempts
        self._wake = asyncio.Event()
        self._in_flight: set[asyncio.Task] = set()
        self._runner: asyncio.Task | None = None
        # Whether the outbox may hold something due: lets an idle worker skip the database.
        self._maybe_due = True
        self._retry_at: datetime | None = None  # the earliest retry this worker scheduled
        self.retried = 0  # network retries since the last minute's log line
        storage.on_enqueue = self._something_owed

    # ---------------------------------------------------------------- lifecycle

    async def start(self) -> None:
        resent = await self.storage.requeue_in_flight()
        if resent:
            _LOGGER.warning("Resending %d message(s) that were in flight at the last stop", resent)
        self._runner = asyncio.create_task(self._run(), name="delivery")

    async def stop(self) -> None:
        if self._runner is not None:
            self._runner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._runner
            self._runner = None
        if self._in_flight:  # let sends already made finish and be recorded
            await asyncio.gather(*self._in_flight, return_exceptions=True)

    async def _run(self) -> None:
        while True:
            try:
                started = await self._fill()
            except Exception:
                _LOGGER.exception("Delivery loop error; retrying in a second")
                started = 0
            if started == 0:
                await self._sleep_until_due()

    async def drain(self) -> int:
        """Send everything due now and wait for it (tests, maintenance). Returns how many."""
        total = 0
        while started := await self._fill():
            total += started
            await asyncio.gather(*self._in_flight, return_exceptions=True)
        await asyncio.gather(*self._in_flight, return_exceptions=True)
        return total

    # ---------------------------------------------------------------- the loop

    async def _fill(self) -> int:
        """Claim as many due rows as there are free slots and start sending them."""
        free = self.concurrency - len(self._in_flight)
        if free <= 0:
            return 0
        if self._retry_at is not None and self.storage.now() >= self._retry_at:
            self._retry_at, self._maybe_due = None, True
        if not self._maybe_due:
            return 0
        rows = await self.storage.claim_due(free)
        if len(rows) < free:  # all that is due was taken
            self._maybe_due = False
        for row in rows:
            task = asyncio.create_task(self._deliver(row))
            self._in_flight.add(task)
            task.add_done_callback(functools.partial(self._done, row))
        return len(rows)

    def _something_owed(self) -> None:
        self._maybe_due = True
        self._wake.set()

    def _done(self, row: OutboxRow, task: asyncio.Task) -> None:
        self._in_flight.discard(task)
        if row.queued_behind:  # that chat's next message can be claimed now
            self._maybe_due = True
        self._wake.set()  # a slot is free

    async def _sleep_until_due(self) -> None:
        due = await self.storage.next_due()
        timeout = 1.0
        if due is not None:
            timeout = min(timeout, max(0.0, (due - self.storage.now()).total_seconds()))
        self._wake.clear()
        try:
            await asyncio.wait_for(self._wake.wait(), timeout=max(timeout, 0.01))
        except TimeoutError:
            self._maybe_due = True  # due by the clock now, or another process wrote rows

    async def _deliver(self, row: OutboxRow) -> None:
        try:
            result = await send(self.bot, row)
        except Forbidden as exc:
            _LOGGER.info("Chat %s refuses the bot: %s", row.chat_id, exc)
            await self.storage.mark_blocked(row.chat_id, str(exc))
        except BadRequest as exc:
            if "not modified" in str(exc):
                await self.storage.mark_sent(row, row.payload.get("message_id"))
            else:
                _LOGGER.error("Message %s to %s refused: %s", row.id, row.chat_id, exc)
                await self.storage.mark_failed(row.id, str(exc))
        except (NetworkError, TelegramError) as exc:  # TimedOut is a NetworkError
            await self._retry_later(row, str(exc))
        except Exception as exc:
            _LOGGER.exception("Message %s could not be sent", row.id)
            await self.storage.mark_failed(row.id, repr(exc))
        else:
            message_id = result.message_id if isinstance(result, Message) else None
            await self.storage.mark_sent(row, message_id)

    async def _retry_later(self, row: OutboxRow, error: str) -> None:
        if row.attempts >= self.max_attempts:
            _LOGGER.error(
                "Giving up on message %s after %d attempts: %s", row.id, row.attempts, error
            )
            await self.storage.mark_failed(row.id, error)
            return
        at = self.storage.now() + timedelta(seconds=min(2**row.attempts, 300))
        self._retry_at = at if self._retry_at is None else min(self._retry_at, at)
        self.retried += 1
        await self.storage.mark_retry(row.id, at, error)


async def log_minute(context: CallbackContext) -> None:
    """Once a minute, one line for the operator: what went out and what had to wait."""
    flood_control = context.bot.rate_limiter
    assert isinstance(flood_control, FloodControl)
    sent, limited = flood_control.take_counts()
    worker: DeliveryWorker = context.application.delivery  # type: ignore[attr-defined]
    retried, worker.retried = worker.retried, 0
    if sent or limited or retried:
        _LOGGER.info(
            "Last minute: %d replies, %d notices, %d announcement copies sent; "
            "%d answered 429 and sent again; %d retried after network trouble",
            sent[Priority.REPLY],
            sent[Priority.NOTICE],
            sent[Priority.BULK],
            limited,
            retried,
        )
