"""One module per capability; each exposes `handlers()` for bot.app to register."""

from collections.abc import Sequence

from telegram import Update
from telegram.ext import BaseHandler, ConversationHandler

from bot.context import BotContext
from bot.storage import Ticket


async def pressed_ticket(update: Update, context: BotContext) -> Ticket | None:
    """The ticket named in callback data `area:<ticket id>:…`; None if forged or gone.
    Callers still check who may act on it."""
    parts = update.callback_query.data.split(":")
    if len(parts) < 2 or not parts[1].isdigit():
        return None
    return await context.storage.get_ticket(int(parts[1]))


def conversation(
    name: str,
    timeout: float,
    entry_points: Sequence[BaseHandler],
    states: dict[str, Sequence[BaseHandler]],
    fallbacks: Sequence[BaseHandler],
) -> ConversationHandler:
    """A flow whose state is kept in the database (a restart resumes it), that a new entry
    restarts, and that is dropped after `timeout` seconds without an answer."""
    return ConversationHandler(
        name=name,
        persistent=True,
        allow_reentry=True,
        conversation_timeout=timeout,
        entry_points=list(entry_points),
        states={state: list(handlers) for state, handlers in states.items()},
        fallbacks=list(fallbacks),
    )
