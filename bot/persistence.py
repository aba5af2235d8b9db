"""Conversation state and user_data kept in the bot's SQLite database (as JSON, not pickle).

python-telegram-bot ships no SQLite persistence, so this is a small `BasePersistence` over
`Storage`. Conversation states untouched for longer than `idle_ttl` are dropped when they are
loaded, so a conversation abandoned before a restart does not come back to life after it.

python-telegram-bot hands over every change of a persistence run at once (one coroutine a
user or conversation, gathered); they are written together, in one or two statements.
"""

import asyncio
import json
from datetime import timedelta
from typing import Any

from telegram.ext import BasePersistence, PersistenceInput

from bot.storage import Storage

ConversationKey = tuple[int | str, ...]
CallbackData = tuple[list[tuple[str, float, dict[str, Any]]], dict[str, str]]

_CONVERSATION = "conversation:"
_USER_DATA = "user_data"


class SQLitePersistence(BasePersistence[dict[str, Any], dict[str, Any], dict[str, Any]]):
    def __init__(self, storage: Storage, idle_ttl: timedelta, update_interval: float = 1) -> None:
        super().__init__(
            store_data=PersistenceInput(bot_data=False, chat_data=False, callback_data=False),
            update_interval=update_interval,
        )
        self.storage = storage
        self.idle_ttl = idle_ttl
        self._pending: dict[tuple[str, str], Any] = {}  # (kind, key) -> value, None deletes

    async def _save(self, kind: str, key: str, value: Any) -> None:
        """Queue one value; the first save of a run waits one turn of the event loop, for the
        others of the run to join, then writes them all."""
        first = not self._pending
        self._pending[(kind, key)] = value
        if not first:
            return
        await asyncio.sleep(0)
        batch, self._pending = self._pending, {}
        await self.storage.save_states(batch)

    async def get_conversations(self, name: str) -> dict[ConversationKey, object]:
        await self.storage.purge_state(_CONVERSATION, self.idle_ttl)
        stored = await self.storage.load_state(_CONVERSATION + name)
        return {tuple(json.loads(key)): state for key, state in stored.items()}

    async def update_conversation(
        self, name: str, key: ConversationKey, new_state: object | None
    ) -> None:
        await self._save(_CONVERSATION + name, json.dumps(list(key)), new_state)

    async def get_user_data(self) -> dict[int, dict[str, Any]]:
        stored = await self.storage.load_state(_USER_DATA)
        return {int(key): value for key, value in stored.items()}

    async def update_user_data(self, user_id: int, data: dict[str, Any]) -> None:
        await self._save(_USER_DATA, str(user_id), data or None)

    async def drop_user_data(self, user_id: int) -> None:
        await self._save(_USER_DATA, str(user_id), None)

    async def refresh_user_data(self, user_id: int, user_data: dict[str, Any]) -> None:
        """Nothing to do: this process is the only writer."""

    async def flush(self) -> None:
        """Nothing to do: every update is written when it is made."""

    # chat_data, bot_data and callback_data are not stored (see store_data above).

    async def get_chat_data(self) -> dict[int, dict[str, Any]]:
        return {}

    async def update_chat_data(self, chat_id: int, data: dict[str, Any]) -> None:
        """Not stored."""

    async def drop_chat_data(self, chat_id: int) -> None:
        """Not stored."""

    async def refresh_chat_data(self, chat_id: int, chat_data: dict[str, Any]) -> None:
        """Not stored."""

    async def get_bot_data(self) -> dict[str, Any]:
        return {}

    async def update_bot_data(self, data: dict[str, Any]) -> None:
        """Not stored."""

    async def refresh_bot_data(self, bot_data: dict[str, Any]) -> None:
        """Not stored."""

    async def get_callback_data(self) -> CallbackData | None:
        return None

    async def update_callback_data(self, data: CallbackData) -> None:
        """Not stored."""
