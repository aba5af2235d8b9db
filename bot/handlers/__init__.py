"""One module per capability; each exposes `handlers()` for bot.app to register."""

from collections.abc import Sequence

from telegram.ext import BaseHandler, ConversationHandler


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
