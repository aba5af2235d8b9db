"""The outbox's vocabulary: what the bot owes someone (`Outgoing`), a row being sent
(`OutboxRow`), the kinds of Bot API call and the states a row goes through.

A feature owes messages by storing `Outgoing` rows in the same transaction as the change that
caused them; `bot.delivery` sends them. Nothing here touches the database or Telegram.
"""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any


class OutboxKind(StrEnum):
    """The Bot API call a row makes (see `bot.delivery.send`)."""

    MESSAGE = "message"  # sendMessage: text, markup, reply_to
    PHOTO = "photo"  # sendPhoto … sendDocument: a file Telegram already has (file_id), caption
    VIDEO = "video"
    VOICE = "voice"
    DOCUMENT = "document"
    LOCATION = "location"  # sendLocation: latitude, longitude
    EDIT = "edit"  # editMessageText: message_id, text, markup


class OutboxState(StrEnum):
    PENDING = "pending"  # owed: sent when due
    SENDING = "sending"  # with the bot now (after a crash: sent again)
    SENT = "sent"
    FAILED = "failed"  # given up: refused, chat gone, or no longer worth sending
    BLOCKED = "blocked"  # given up: the person blocked the bot
    CANCELLED = "cancelled"  # withdrawn before it went out (a stopped announcement)


PRIORITY_PERSONAL = 0  # ticket notices, reminders: always first
PRIORITY_BROADCAST = 10


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A message the bot owes someone. `kind` names the Bot API call; `payload` holds its JSON
    arguments besides the chat. `expires_at`: after it, failures are no longer retried (None:
    the worker's default for personal messages)."""

    chat_id: int
    kind: str
    payload: dict[str, Any]
    priority: int = PRIORITY_PERSONAL
    ticket_id: int | None = None
    broadcast_id: int | None = None
    expires_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class OutboxRow:
    """An owed message as the delivery worker claimed it."""

    id: int
    chat_id: int
    kind: str
    payload: dict[str, Any]
    priority: int
    attempts: int
    ticket_id: int | None
    broadcast_id: int | None
    queued_behind: bool = False  # the chat has more messages waiting behind this one
    created_at: datetime | None = None
    expires_at: datetime | None = None
