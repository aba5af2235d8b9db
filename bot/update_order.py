"""Updates of different chats run side by side; updates that share a chat or a person wait
for each other, in the order they came.

python-telegram-bot handles one update at a time by default, so each Bot API round trip of one
resident (tens to hundreds of milliseconds over the internet) holds up everyone else. Running
every update concurrently instead would break conversations, which expect a person's updates
one by one (ConversationHandler's documentation warns of it), and two clerks pressing the same
card at once. This processor keeps the order where it matters and nowhere else.
"""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass, field
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor


@dataclass
class _Turn:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    users: int = 0  # updates holding or waiting for the lock


class PerChatUpdateProcessor(BaseUpdateProcessor):
    def __init__(self, max_concurrent_updates: int) -> None:
        super().__init__(max_concurrent_updates)
        self._turns: dict[int, _Turn] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        # Chat and person ids (one id in a private chat), locked in a fixed order so that no two
        # updates can each hold what the other waits for.
        keys: set[int] = set()
        if isinstance(update, Update):
            keys = {o.id for o in (update.effective_chat, update.effective_user) if o is not None}
        async with contextlib.AsyncExitStack() as held:
            try:
                for key in sorted(keys):
                    await held.enter_async_context(self._turn(key))
            except BaseException:  # cancelled while waiting (shutdown): the update is dropped
                if asyncio.iscoroutine(coroutine):
                    coroutine.close()
                raise
            await coroutine

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
