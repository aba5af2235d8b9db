"""An ExtBot whose getUpdates parses updates one by one.

python-telegram-bot parses a getUpdates batch as a whole: one update it cannot parse (a field it
requires is missing, as a Telegram-compatible server lagging the schema may send) fails the batch,
and polling retries that batch for ever. Here such an update is logged and replaced by an empty
`Update` with the same id, which no handler matches but which still moves the offset past it.
"""

import datetime as dtm
import logging
from collections.abc import Sequence
from typing import Any, cast

from telegram import Update
from telegram._utils.defaultvalue import DEFAULT_NONE
from telegram._utils.types import JSONDict, ODVInput
from telegram.ext import ExtBot

_LOGGER = logging.getLogger(__name__)


class ResilientBot(ExtBot[None]):
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
        base_read = (
            self._request[0].read_timeout if read_timeout is DEFAULT_NONE else read_timeout
        ) or 0
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
