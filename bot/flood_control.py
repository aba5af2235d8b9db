"""One budget for everything the bot sends, kept under Telegram's limits, the most urgent first.

Telegram answers 429 above about 30 messages a second overall, about one a second in one
private chat (after a short burst) and 20 a minute in a group. Every Bot API call that puts a
message into a chat passes through `FloodControl`, python-telegram-bot's rate-limiter hook:
replies a person waits for (the default), owed notices from the outbox and announcement copies
alike. A call waits until its chat and the overall budget allow it; when several wait, the most
urgent goes first, so an announcement slows down and a reply does not.

A 429 is a normal answer: the chat waits `retry_after` (announcements wait with it, as the limit
may be the bot's as a whole) and the call is sent again, so a handler never fails because of
flood control and nothing is dropped.
"""

import asyncio
import bisect
import contextlib
import itertools
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from bot.jalali import seconds

_LOGGER = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]
JSON = bool | dict[str, Any] | list[dict[str, Any]]


class Priority(IntEnum):
    """Who waits for a call: lower goes first. Passed as `rate_limit_args` to a Bot method."""

    REPLY = 0  # a person is looking at the chat: handlers' answers (the default)
    NOTICE = 1  # owed personal messages: ticket cards, status notices, progress
    BULK = 2  # announcement copies


# Telegram's limits, with the margins that keep a sliding window of them from being crossed.
PRIVATE_BURST, PRIVATE_PER_SECOND = 3, 1.0
GROUP_BURST, GROUP_PER_SECOND = 3, 17 / 60  # burst + a minute's refill = 20 a minute
_COUNTED = ("send", "edit", "copy", "forward")  # methods that put a message into a chat


def _counted(endpoint: str) -> bool:
    return endpoint.startswith(_COUNTED) and endpoint != "sendChatAction"


@dataclass
class TokenBucket:
    """`burst` at once, then `per_second`; starts full."""

    burst: float
    per_second: float
    at: float  # monotonic time of the last refill
    tokens: float = field(init=False)

    def __post_init__(self) -> None:
        self.tokens = self.burst

    def _refill(self, now: float) -> None:
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.per_second)
        self.at = now

    def ready_at(self, now: float) -> float:
        self._refill(now)
        return now if self.tokens >= 1 else now + (1 - self.tokens) / self.per_second

    def take(self, now: float) -> None:
        self._refill(now)
        self.tokens -= 1

    def full(self, now: float) -> bool:
        self._refill(now)
        return self.tokens >= self.burst

    def try_take(self, now: float) -> bool:
        """Take a token if there is one."""
        if self.ready_at(now) > now:
            return False
        self.tokens -= 1
        return True


@dataclass
class _Chat:
    bucket: TokenBucket
    paused_until: float = 0.0


@dataclass(order=True)
class _Waiter:
    priority: int
    seq: int
    chat_id: int = field(compare=False)
    granted: asyncio.Future[None] = field(compare=False)


class FloodControl(BaseRateLimiter[Priority]):
    """`per_second=None` switches pacing off (tests): 429s are still waited out, through
    `sleep`."""

    def __init__(self, per_second: float | None = 29.0, *, sleep: Sleep = asyncio.sleep) -> None:
        self.per_second = per_second
        self._sleep = sleep
        self._waiting: list[_Waiter] = []  # sorted: most urgent first, then first come
        self._seq = itertools.count()
        self._chats: dict[int, _Chat] = {}
        self._next_slot = 0.0  # monotonic time before which nothing more goes out
        self._bulk_paused_until = 0.0
        self._changed = asyncio.Event()
        self._dispatcher: asyncio.Task[None] | None = None
        self.sent: Counter[Priority] = Counter()  # since the last `take_counts`
        self.retried = 0

    async def initialize(self) -> None:
        """Nothing to set up: the dispatcher starts with the first call that must wait."""

    async def shutdown(self) -> None:
        if self._dispatcher is not None:
            self._dispatcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._dispatcher
            self._dispatcher = None

    def take_counts(self) -> tuple[Counter[Priority], int]:
        """Calls sent by priority and 429s since the last time asked (the minute's log line)."""
        counts, retried = self.sent, self.retried
        self.sent, self.retried = Counter(), 0
        return counts, retried

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, JSON]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: Priority | None,
    ) -> JSON:
        priority = Priority.REPLY if rate_limit_args is None else rate_limit_args
        chat_id = _chat_id(data) if _counted(endpoint) else None
        seq = next(self._seq)  # a call sent again keeps its place in line
        while True:
            if chat_id is not None and self.per_second:
                await self._turn(chat_id, priority, seq)
            try:
                result = await callback(*args, **kwargs)
            except RetryAfter as exc:
                wait = seconds(exc.retry_after)
                self.retried += 1
                _LOGGER.info("429 on %s to chat %s: sending again in %.0f s", endpoint, chat_id,
                             wait)  # fmt: skip
                if chat_id is not None and self.per_second:
                    self._pause(chat_id, wait)
                else:
                    await self._sleep(wait)
                continue
            if chat_id is not None:
                self.sent[priority] += 1
            return result

    # ---------------------------------------------------------------- waiting for a turn

    async def _turn(self, chat_id: int, priority: Priority, seq: int) -> None:
        waiter = _Waiter(priority, seq, chat_id, asyncio.get_running_loop().create_future())
        bisect.insort(self._waiting, waiter)
        if self._dispatcher is None or self._dispatcher.done():
            self._dispatcher = asyncio.create_task(self._dispatch(), name="flood-control")
        self._changed.set()
        try:
            await waiter.granted
        except asyncio.CancelledError:
            if waiter in self._waiting:
                self._waiting.remove(waiter)
            raise

    def _pause(self, chat_id: int, wait: float) -> None:
        until = time.monotonic() + wait
        chat = self._chat(chat_id, time.monotonic())
        chat.paused_until = max(chat.paused_until, until)
        self._bulk_paused_until = max(self._bulk_paused_until, until)

    def _chat(self, chat_id: int, now: float) -> _Chat:
        chat = self._chats.get(chat_id)
        if chat is None:
            if len(self._chats) > 10_000:  # forget chats that are idle again
                self._chats = {
                    key: c for key, c in self._chats.items()
                    if c.paused_until > now or not c.bucket.full(now)
                }  # fmt: skip
            burst, rate = (
                (PRIVATE_BURST, PRIVATE_PER_SECOND) if chat_id > 0 else
                (GROUP_BURST, GROUP_PER_SECOND)
            )  # fmt: skip
            chat = self._chats[chat_id] = _Chat(TokenBucket(burst, rate, now))
        return chat

    def _ready_at(self, waiter: _Waiter, now: float) -> float:
        chat = self._chat(waiter.chat_id, now)
        ready = max(chat.paused_until, chat.bucket.ready_at(now))
        if waiter.priority == Priority.BULK:
            ready = max(ready, self._bulk_paused_until)
        return ready

    async def _dispatch(self) -> None:
        """Hands out the overall budget one slot at a time, to the most urgent waiter whose
        chat allows it now."""
        assert self.per_second
        interval = 1 / self.per_second
        while True:
            now = time.monotonic()
            if now < self._next_slot:
                await self._wait(self._next_slot - now)
                continue
            waiter, timeout = self._first_ready(now)
            if waiter is None:
                await self._wait(timeout)
                continue
            self._waiting.remove(waiter)
            self._chat(waiter.chat_id, now).bucket.take(now)
            # Keep the cadence: a slot handed out a little late (the loop was busy) does not push
            # every later one back, or the rate would fall below `per_second`; after a pause
            # longer than a slot, the cadence starts again from now (no burst to catch up).
            on_time = now - self._next_slot < interval
            self._next_slot = (self._next_slot if on_time else now) + interval
            if not waiter.granted.done():
                waiter.granted.set_result(None)

    def _first_ready(self, now: float) -> tuple[_Waiter | None, float | None]:
        """The most urgent waiter that may go now; else how long until one may (None: nobody
        waits)."""
        soonest: float | None = None
        for waiter in self._waiting:
            ready = self._ready_at(waiter, now)
            if ready <= now:
                return waiter, None
            soonest = ready if soonest is None else min(soonest, ready)
        return None, None if soonest is None else soonest - now

    async def _wait(self, seconds_at_most: float | None) -> None:
        self._changed.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._changed.wait(), seconds_at_most)


def _chat_id(data: dict[str, Any]) -> int | None:
    try:
        return int(data["chat_id"])
    except (KeyError, TypeError, ValueError):
        return None  # no chat, or a channel's @name: not paced per chat
