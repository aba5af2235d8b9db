"""One module per capability; each exposes `handlers()` for bot.app to register."""

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import BaseHandler, ConversationHandler

from bot import keyboards, texts_fa
from bot.application import BotContext
from bot.storage import Ticket

LAST_SEEN = "last_seen"  # user_data key: when the person last sent the bot anything (POSIX time)

# Numbers in callback data, for the patterns handlers match: an id (ASCII digits that fit
# SQLite's 64-bit integer) and a page of a list (small enough that page × size still fits).
ID = "[0-9]{1,18}"
PAGE = "[0-9]{1,6}"


def client_number(text: str) -> int | None:
    """A number the client sent (in callback data, or typed after a command), or None. The
    client can send anything: «²» passes str.isdigit() but not int(), and 30 digits pass int()
    but not SQLite."""
    return int(text) if re.fullmatch(ID, text) else None


_T = TypeVar("_T")


def callback_choice(options: Sequence[_T], text: str) -> _T | None:
    """The option numbered `text` in callback data (a reason, a ready answer), or None."""
    index = client_number(text)
    return options[index] if index is not None and index < len(options) else None


async def pressed_ticket(update: Update, context: BotContext, part: int = 1) -> Ticket | None:
    """The ticket named in callback data `area:<ticket id>:…` (its id the `part`-th field);
    None if forged or gone. Callers still check who may act on it."""
    parts = update.callback_query.data.split(":")
    ticket_id = client_number(parts[part]) if len(parts) > part else None
    return await context.storage.get_ticket(ticket_id) if ticket_id is not None else None


@dataclass(frozen=True)
class IdleFlows:
    """Flows left unanswered for longer than `ttl` end at the person's next update, with a
    word to them.

    Each person's last update time is kept in their user_data (so it survives a restart) by
    `record`, registered in a group after all others. python-telegram-bot's own
    conversation_timeout is not used: it schedules a job on every update, which costs more
    than the rest of a step under load, and its jobs are not restored after a restart."""

    ttl: timedelta
    user_data: Mapping[int, dict[str, Any]]
    now: Callable[[], datetime]

    def is_stale(self, update: Update) -> bool:
        user = update.effective_user
        if user is None:
            return False
        seen = self.user_data.get(user.id, {}).get(LAST_SEEN)
        return seen is not None and self.now().timestamp() - seen > self.ttl.total_seconds()

    async def record(self, update: Update, context: BotContext) -> None:
        if context.user_data is not None:
            context.user_data[LAST_SEEN] = self.now().timestamp()


class IdleFlowHandler(BaseHandler[Update, BotContext, object]):
    """Claims any update of a flow that has been idle too long, and ends the flow."""

    def __init__(self, idle: IdleFlows) -> None:
        super().__init__(flow_expired)
        self.idle = idle

    def check_update(self, update: object) -> bool:
        return isinstance(update, Update) and self.idle.is_stale(update)


async def flow_expired(update: Update, context: BotContext) -> int:
    if update.callback_query:
        await update.callback_query.answer()
    message = update.effective_message
    if message is not None and message.chat.type == ChatType.PRIVATE:
        await message.reply_text(texts_fa.FLOW_EXPIRED, reply_markup=keyboards.main_menu())
    return ConversationHandler.END


def conversation(
    name: str,
    idle: IdleFlows,
    entry_points: Sequence[BaseHandler],
    states: dict[str, Sequence[BaseHandler]],
    fallbacks: Sequence[BaseHandler],
) -> ConversationHandler:
    """A flow whose state is kept in the database (a restart resumes it), that a new entry
    restarts, and that ends when left idle too long (see IdleFlows)."""
    expired = IdleFlowHandler(idle)
    return ConversationHandler(
        name=name,
        persistent=True,
        allow_reentry=True,
        entry_points=list(entry_points),
        states={state: [expired, *handlers] for state, handlers in states.items()},
        fallbacks=list(fallbacks),
    )
