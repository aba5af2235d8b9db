"""An ExtBot that waits for the Bot API at start and parses getUpdates one update at a time.

Operators often start a server before its proxy or route is up: `initialize` keeps trying
with a growing pause, one log line an attempt, and a token the server refuses ends the
process with one clear line (`TokenRejected`) instead of a traceback.

python-telegram-bot parses a getUpdates batch as a whole: one update it cannot parse (a field it
requires is missing, as a Telegram-compatible server lagging the schema may send) fails the batch,
and polling retries that batch for ever. Here such an update is logged and replaced by an empty
`Update` with the same id, which no handler matches but which still moves the offset past it.
"""

import asyncio
import datetime as dtm
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar, cast

from telegram import Update
from telegram._utils.defaultvalue import DEFAULT_NONE
from telegram._utils.types import JSONDict, ODVInput
from telegram.error import BadRequest, InvalidToken, NetworkError, RetryAfter
from telegram.ext import ExtBot

from bot.flood_control import Priority

_LOGGER = logging.getLogger(__name__)
FIRST_PAUSE, LONGEST_PAUSE = 1.0, 60.0  # seconds between attempts to reach the Bot API at start


class TokenRejected(Exception):
    """The Bot API refused the token (401): nothing to retry. Deliberately not a TelegramError,
    so that python-telegram-bot's start-up loop does not log it with a traceback."""


_T = TypeVar("_T")


async def keep_trying(action: Callable[[], Awaitable[_T]]) -> _T:
    """`action()` (a Bot API call) until the Bot API answers it: no route, refused, timed out,
    5xx or 429 waits and tries again (1 s, 2 s … a minute apart), one log line an attempt;
    any other error (400, a rejected token) goes up at once."""
    pause, attempt = FIRST_PAUSE, 1
    while True:
        try:
            result = await action()
        except BadRequest:  # a NetworkError to python-telegram-bot, but nothing to wait for
            raise
        except (NetworkError, RetryAfter) as exc:
            _LOGGER.warning("Bot API not reachable (attempt %d: %s); trying again in %.0f s",
                            attempt, exc, pause)  # fmt: skip
            await asyncio.sleep(pause)
            pause, attempt = min(pause * 2, LONGEST_PAUSE), attempt + 1
        else:
            if attempt > 1:
                _LOGGER.info("Bot API reached after %d attempts", attempt)
            return result


class ResilientBot(ExtBot[Priority]):
    async def initialize(self) -> None:
        try:
            await keep_trying(super().initialize)
        except InvalidToken:
            raise TokenRejected from None  # its message holds the token

    async def get_updates(
        self,
        offset: int | None = None,
        limit: int | None = None,
        timeout: int | dtm.timedelta | None = None,  # noqa: ASYNC109 (Bot API's name)
        allowed_updates: Sequence[str] | None = None,
        *,
        read_timeout: ODVInput[float] = DEFAULT_NONE,
        write_timeout: ODVInput[float] = DEFAULT_NONE,
        connect_timeout: ODVInput[float] = DEFAULT_NONE,
        pool_timeout: ODVInput[float] = DEFAULT_NONE,
        api_kwargs: JSONDict | None = None,
    ) -> tuple[Update, ...]:
        seconds = timeout.total_seconds() if isinstance(timeout, dtm.timedelta) else timeout or 0
        chosen = self._request[0].read_timeout if read_timeout is DEFAULT_NONE else read_timeout
        base_read = chosen if isinstance(chosen, int | float) else 0
        raw = cast(
            "list[JSONDict]",
            await self._post(
                "getUpdates",
                {
                    "timeout": timeout,
                    "offset": offset,
                    "limit": limit,
                    "allowed_updates": allowed_updates,
                },
                read_timeout=base_read + seconds,
                write_timeout=write_timeout,
                connect_timeout=connect_timeout,
                pool_timeout=pool_timeout,
                api_kwargs=api_kwargs,
            ),
        )
        updates = tuple(self._parse(item) for item in raw)
        for update in updates:
            self.insert_callback_data(update)
        return updates

    def _parse(self, item: dict[str, Any]) -> Update:
        try:
            update = Update.de_json(item, self)
        except Exception:  # any field python-telegram-bot cannot read
            _LOGGER.exception("Skipping update %s that could not be parsed", item.get("update_id"))
        else:
            if update is not None:
                return update
        return Update(update_id=int(item["update_id"]))
