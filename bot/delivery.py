"""The outbox worker: the one place that sends what the database says the bot owes.

Rows are claimed a few at a time (marked 'sending'), sent at a steady pace below Telegram's
limit, and marked sent, retried later (429 `retry_after`, network trouble, with backoff),
blocked (403) or failed (a request Telegram will never accept). After a crash, rows still
'sending' are sent again: only those in flight at that instant can reach someone twice.
"""

import asyncio
import contextlib
import functools
import logging
import time
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
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.jalali import seconds
from bot.storage import OutboxRow, Storage

_LOGGER = logging.getLogger(__name__)


async def send(bot: Bot, row: OutboxRow) -> Message | bool:
    """Perform one owed Bot API call. Payload keys: text, markup, reply_to, file_id,
    latitude/longitude, message_id (for edits)."""
    p = row.payload
    common: dict[str, Any] = {"chat_id": row.chat_id}
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
    """Sends owed messages with at most `concurrency` in flight, at most `rate` per second."""

    def __init__(
        self,
        bot: Bot,
        storage: Storage,
        *,
        concurrency: int = 8,
        rate: float = 25.0,
        max_attempts: int = 8,
    ) -> None:
        self.bot = bot
        self.storage = storage
        self.concurrency = concurrency
        self.rate = rate
        self.interval = 1.0 / rate
        self.max_attempts = max_attempts
        self._wake = asyncio.Event()
        self._in_flight: set[asyncio.Task] = set()
        self._next_slot = 0.0  # monotonic time of the next allowed send
        self._paused_until: datetime | None = None  # after a 429: nothing goes out before
        # Telegram allows about one message a second to one private chat.
        self.per_chat_gap = 1.0
        self._last_sent: dict[int, float] = {}
        self._runner: asyncio.Task | None = None
        # Whether the outbox may hold something due: lets an idle worker skip the database.
        self._maybe_due = True
        self._retry_at: datetime | None = None  # the earliest retry this worker scheduled
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
        if free <= 0 or self._paused():
            return 0
        if self._retry_at is not None and self.storage.now() >= self._retry_at:
            self._retry_at, self._maybe_due = None, True
        if not self._maybe_due:
            return 0
        rows = await self.storage.claim_due(free)
        if len(rows) < free:  # all that is due was taken
            self._maybe_due = False
        for row in rows:
            await self._pace()
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
        if self._paused_until is not None:
            due = max(due, self._paused_until) if due else self._paused_until
        timeout = 1.0
        if due is not None:
            timeout = min(timeout, max(0.0, (due - self.storage.now()).total_seconds()))
        self._wake.clear()
        try:
            await asyncio.wait_for(self._wake.wait(), timeout=max(timeout, 0.01))
        except TimeoutError:
            self._maybe_due = True  # due by the clock now, or another process wrote rows

    async def _pace(self) -> None:
        now = time.monotonic()
        wait = self._next_slot - now
        self._next_slot = max(now, self._next_slot) + self.interval
        if wait > 0:
            await asyncio.sleep(wait)

    def _paused(self) -> bool:
        """After a 429, nothing goes out until Telegram said it may."""
        if self._paused_until is not None and self.storage.now() < self._paused_until:
            return True
        self._paused_until = None
        return False

    async def _space_out(self, chat_id: int) -> None:
        """Keep messages to one private chat a second apart (groups: the rate limiter's job)."""
        if chat_id < 0 or self.per_chat_gap <= 0:
            return
        now = time.monotonic()
        last = self._last_sent.get(chat_id)
        if last is not None and now - last < self.per_chat_gap:
            await asyncio.sleep(self.per_chat_gap - (now - last))
        self._last_sent[chat_id] = time.monotonic()
        if len(self._last_sent) > 10_000:
            horizon = time.monotonic() - self.per_chat_gap
            self._last_sent = {c: t for c, t in self._last_sent.items() if t > horizon}

    async def _deliver(self, row: OutboxRow) -> None:
        await self._space_out(row.chat_id)
        try:
            result = await send(self.bot, row)
        except RetryAfter as exc:
            wait = timedelta(seconds=seconds(exc.retry_after))
            _LOGGER.warning("429 from Telegram: pausing, message %s again in %s", row.id, wait)
            self._paused_until = self.storage.now() + wait
            await self._retry(row, self._paused_until, str(exc))
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
        delay = timedelta(seconds=min(2**row.attempts, 300))
        await self._retry(row, self.storage.now() + delay, error)

    async def _retry(self, row: OutboxRow, at: datetime, error: str) -> None:
        self._retry_at = at if self._retry_at is None else min(self._retry_at, at)
        await self.storage.mark_retry(row.id, at, error)
