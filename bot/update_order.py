"""Updates of different chats run side by side; updates that share a chat or a person wait
for each other, in the order they came; a person who floods the bot is slowed down.

python-telegram-bot handles one update at a time by default, so each Bot API round trip of one
resident (tens to hundreds of milliseconds over the internet) holds up everyone else. Running
every update concurrently instead would break conversations, which expect a person's updates
one by one (ConversationHandler's documentation warns of it), and two clerks pressing the same
card at once. This processor keeps the order where it matters and nowhere else.

python-telegram-bot takes its concurrency slot before `do_process_update`; waiting for a chat's
turn there would let one chat's backlog hold every slot. So the base class gets no real limit,
and the slots that bound the work are taken here, after the turn.
"""

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass, field
from typing import Any

from telegram import Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import BaseUpdateProcessor

from bot import texts_fa
from bot.flood_control import TokenBucket

_LOGGER = logging.getLogger(__name__)

# A person may send this many updates at once (an album is up to ten), then this many a second;
# the rest is dropped before it reaches a handler or the database.
FLOOD_BURST = 20
FLOOD_PER_SECOND = 1.0
_UNBOUNDED = 1 << 30  # the base class's limit: the real one is `_slots`


@dataclass
class _Turn:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    users: int = 0  # updates holding or waiting for the lock


@dataclass
class _Allowance:
    bucket: TokenBucket
    warned: bool = False  # told to slow down during this flood


class FloodGuard:
    """Counts each person's updates; past the allowance they are dropped, and a person in a
    private chat is told once per flood to slow down."""

    def __init__(self, burst: int = FLOOD_BURST, per_second: float = FLOOD_PER_SECOND) -> None:
        self.burst = burst
        self.per_second = per_second
        self._people: dict[int, _Allowance] = {}

    def admit(self, user_id: int) -> bool:
        now = time.monotonic()
        allowance = self._people.get(user_id)
        if allowance is None:
            if len(self._people) > 10_000:
                self._forget_calm(now)
            allowance = self._people[user_id] = _Allowance(
                TokenBucket(self.burst, self.per_second, now)
            )
        if not allowance.bucket.try_take(now):
            return False
        if allowance.bucket.tokens >= self.burst / 2:
            allowance.warned = False  # calm again: a later flood is told again
        return True

    def first_drop(self, user_id: int) -> bool:
        """True once per flood: the moment to tell the person."""
        allowance = self._people[user_id]
        first, allowance.warned = not allowance.warned, True
        return first

    def _forget_calm(self, now: float) -> None:
        self._people = {u: a for u, a in self._people.items() if not a.bucket.full(now)}


class PerChatUpdateProcessor(BaseUpdateProcessor):
    def __init__(self, max_concurrent_updates: int, guard: FloodGuard | None = None) -> None:
        super().__init__(_UNBOUNDED)
        self._slots = asyncio.Semaphore(max_concurrent_updates)
        self._turns: dict[int, _Turn] = {}
        self._guard = guard or FloodGuard()

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        keys: set[int] = set()
        if isinstance(update, Update):
            user = update.effective_user
            if user is not None and not self._guard.admit(user.id):
                _close(coroutine)
                await self._slow_down(update)
                return
            keys = {o.id for o in (update.effective_chat, update.effective_user) if o is not None}
        # Chat and person ids (one id in a private chat), locked in a fixed order so that no two
        # updates can each hold what the other waits for.
        async with contextlib.AsyncExitStack() as held:
            try:
                for key in sorted(keys):
                    await held.enter_async_context(self._turn(key))
                await held.enter_async_context(self._slots)
            except BaseException:  # cancelled while waiting (shutdown): the update is dropped
                _close(coroutine)
                raise
            await coroutine

    async def _slow_down(self, update: Update) -> None:
        user, chat = update.effective_user, update.effective_chat
        assert user is not None
        if not self._guard.first_drop(user.id):
            return
        _LOGGER.warning("User %s floods the bot: dropping their updates for a while", user.id)
        if chat is not None and chat.type == ChatType.PRIVATE:
            try:
                await update.get_bot().send_message(chat.id, texts_fa.SLOW_DOWN)
            except TelegramError as exc:
                _LOGGER.info("Could not ask chat %s to slow down: %s", chat.id, exc)

    @contextlib.asynccontextmanager
    async def _turn(self, key: int) -> AsyncIterator[None]:
        turn = self._turns.setdefault(key, _Turn())
        turn.users += 1
        try:
            async with turn.lock:
                yield
        finally:
            turn.users -= 1
            if turn.users == 0:
                del self._turns[key]

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""


def _close(coroutine: Awaitable[Any]) -> None:
    if asyncio.iscoroutine(coroutine):
        coroutine.close()
