"""Announcements: who receives one, what each copy looks like, and the job that starts
scheduled ones and keeps the author's progress message current.

Each copy is an outbox row (priority below personal notices), so `bot.delivery` sends them at
its steady pace and a restart resumes where it stopped.
"""

import logging
import math
from datetime import datetime, timedelta

from telegram.error import TelegramError

from bot import keyboards, texts_fa
from bot.access import access_of
from bot.application import BotContext, MahallehApplication
from bot.flood_control import Priority
from bot.keyboards import Buttons
from bot.persian import escape, to_persian_digits
from bot.storage import PRIORITY_BROADCAST, Broadcast, OutboxRow, Outgoing

_LOGGER = logging.getLogger(__name__)
PROGRESS_EVERY = 3  # seconds between edits of the progress message
COPIES_KEPT = timedelta(days=30)  # a finished broadcast's copies stay in the outbox this long


def copy_for(broadcast_id: int | None, chat_id: int, kind: str, text: str, file_id: str | None,
             expires_at: datetime | None = None) -> Outgoing:  # fmt: skip
    """One recipient's copy; the preview is the same, so the author sees what residents see.
    After `expires_at` (the announcement's deadline) a copy is no longer tried again."""
    payload = {"text": texts_fa.ANNOUNCEMENT.format(text=escape(text))}
    if file_id:
        payload["file_id"] = file_id
    return Outgoing(chat_id, kind, payload, PRIORITY_BROADCAST, broadcast_id=broadcast_id,
                    expires_at=expires_at)  # fmt: skip


def preview_row(chat_id: int, kind: str, text: str, file_id: str | None) -> OutboxRow:
    copy = copy_for(None, chat_id, kind, text, file_id)
    return OutboxRow(0, chat_id, kind, copy.payload, copy.priority, 0, None, None)


async def recipients(application: MahallehApplication, audience: dict) -> list[int]:
    """Chat ids for an audience: residents of the chosen neighborhoods (or all), agency chats."""
    chats: list[int] = []
    if audience.get("all") or audience.get("neighborhoods"):
        neighborhoods = None if audience.get("all") else audience["neighborhoods"]
        chats += await application.storage.audience(neighborhoods)
    if audience.get("agencies"):
        chats += application.agency_chats.chats()
    return chats


def describe_audience(application: MahallehApplication, audience: dict) -> str:
    parts = []
    if audience.get("all"):
        parts.append(texts_fa.AUDIENCE_ALL)
    else:
        for key in audience.get("neighborhoods") or []:
            neighborhood = application.catalog.neighborhood(key)
            parts.append(neighborhood.name if neighborhood else key)
    if audience.get("agencies"):
        parts.append(texts_fa.AUDIENCE_AGENCIES)
    return texts_fa.LIST_SEPARATOR.join(parts)


async def start(application: MahallehApplication, broadcast: Broadcast) -> int:
    """Owe each recipient a copy now, worth sending until ANNOUNCEMENT_HOURS from now. Returns
    how many; 0 means nobody, already started, or an author who may no longer address this
    audience (then it is cancelled)."""
    author = await access_of(application, broadcast.author_id)  # a role revoked since counts
    if not author.may_address(broadcast.audience):
        _LOGGER.warning("Announcement %s cancelled: its author %s may no longer send it",
                        broadcast.id, broadcast.author_id)  # fmt: skip
        await application.storage.cancel_broadcast(broadcast.id)
        return 0
    chats = await recipients(application, broadcast.audience)
    deadline = application.storage.now() + timedelta(hours=application.settings.announcement_hours)
    messages = [
        copy_for(broadcast.id, chat, broadcast.kind, broadcast.text, broadcast.file_id, deadline)
        for chat in dict.fromkeys(chats)
    ]
    if not messages:
        await application.storage.cancel_broadcast(broadcast.id)
        return 0
    started = await application.storage.start_broadcast(broadcast.id, messages)
    if not started:
        return 0
    _LOGGER.info("Announcement %s started: %d recipients", broadcast.id, len(messages))
    return len(messages)


def progress_text(broadcast: Broadcast, counts: dict[str, int], rate: float) -> str:
    left = counts.get("pending", 0) + counts.get("sending", 0)
    figures = {
        "id": to_persian_digits(broadcast.id),
        "sent": to_persian_digits(counts.get("sent", 0)),
        "total": to_persian_digits(broadcast.total),
        "blocked": to_persian_digits(counts.get("blocked", 0)),
        "failed": to_persian_digits(counts.get("failed", 0)),
    }
    if broadcast.state == "sending" and left:
        seconds = math.ceil(left / rate)
        eta = (
            texts_fa.ETA_SECONDS.format(n=to_persian_digits(seconds))
            if seconds < 90
            else texts_fa.ETA_MINUTES.format(n=to_persian_digits(math.ceil(seconds / 60)))
        )
        return texts_fa.PROGRESS.format(**figures, left=to_persian_digits(left), eta=eta)
    outcome = (
        texts_fa.OUTCOME_CANCELLED if broadcast.state == "cancelled" else texts_fa.OUTCOME_DONE
    )
    return texts_fa.PROGRESS_DONE.format(
        **figures, outcome=outcome, cancelled=to_persian_digits(counts.get("cancelled", 0))
    )


def stop_button(broadcast_id: int) -> Buttons:
    return [[(texts_fa.BUTTON_STOP, f"bc:stop:{broadcast_id}")]]


async def tick(application: MahallehApplication) -> None:
    """Start what is due; refresh progress messages; close broadcasts with nothing left."""
    storage = application.storage
    for due in await storage.broadcasts_in("scheduled", due_by=storage.now()):
        await start(application, due)
    for broadcast in await storage.broadcasts_in("sending"):
        counts = await storage.outbox_counts(broadcast.id)
        finished = not counts.get("pending") and not counts.get("sending")
        if finished:
            await storage.finish_broadcast(broadcast.id)
            _LOGGER.info("Announcement %s finished: %s", broadcast.id, dict(sorted(counts.items())))
            broadcast = await storage.get_broadcast(broadcast.id) or broadcast
        await show_progress(application, broadcast, counts)


async def show_progress(
    application: MahallehApplication, broadcast: Broadcast, counts: dict[str, int]
) -> None:
    """Edit the author's progress message in place (best effort: it is only a display)."""
    if broadcast.progress_message_id is None:
        return
    text = progress_text(broadcast, counts, application.settings.send_rate)
    markup = stop_button(broadcast.id) if broadcast.state == "sending" else None
    try:
        await application.bot.edit_message_text(
            text,
            chat_id=broadcast.progress_chat_id,
            message_id=broadcast.progress_message_id,
            reply_markup=None if markup is None else keyboards.buttons(markup),
            rate_limit_args=Priority.NOTICE,
        )
    except TelegramError as exc:
        if "not modified" not in str(exc):
            _LOGGER.info("Progress of broadcast %s not shown: %s", broadcast.id, exc)


async def job(context: BotContext) -> None:
    await tick(context.app)


async def prune_job(context: BotContext) -> None:
    """Daily: finished broadcasts' copies leave the outbox (their counts stay)."""
    storage = context.app.storage
    removed = await storage.prune_broadcast_copies(storage.now() - COPIES_KEPT)
    if removed:
        _LOGGER.info("Removed %d sent broadcast copies from the outbox", removed)
