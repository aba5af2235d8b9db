"""The outbox's vocabulary: what the bot owes someone (`Outgoing`), a row being sent
(`OutboxRow`), the kinds of Bot API call and the states a row goes through.

A feature owes messages by storing `Outgoing` rows in the same transaction as the change that
caused them; `bot.delivery` sends them. Nothing here touches the database or Telegram.

What a feature can ask for besides sending at once:
- `held_until`: not before a moment, nor once it is long past (reminders);
- `tagged` with a `reference` (`session:12:reminder`): `Storage.withdraw("session:12")` later
  withdraws its rows not yet sent (a cancelled session), and nobody else's.
"""

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
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
    arguments besides the chat.

    `not_before`: it is not sent before then (a reminder); it needs an `expires_at`.
    `expires_at`: after it the message is no longer worth sending: it is not sent any more, nor
    tried again after a failure. None: tried for the worker's `owed_for` after it was owed.
    `reference`: whose it is, for withdrawing it (see `reference()`)."""

    chat_id: int
    kind: str
    payload: dict[str, Any]
    priority: int = PRIORITY_PERSONAL
    ticket_id: int | None = None
    broadcast_id: int | None = None
    expires_at: datetime | None = None
    not_before: datetime | None = None
    reference: str | None = None

    def __post_init__(self) -> None:
        if self.reference is not None:
            reference(*self.reference.split(SEPARATOR))  # well formed
        if self.not_before is None:
            return
        if self.expires_at is None:
            raise ValueError("a message held for later needs a deadline (expires_at)")
        if self.expires_at <= self.not_before:
            raise ValueError("a held message's deadline must come after its time")


def held_until(message: Outgoing, moment: datetime, *, worth_for: timedelta) -> Outgoing:
    """`message`, not sent before `moment`, nor at all once `worth_for` has passed after it
    (the bot was down): a reminder two hours before a session is no use after it began."""
    return replace(message, not_before=moment, expires_at=moment + worth_for)


SEPARATOR = ":"


def reference(*parts: str | int) -> str:
    """A reference from its parts, widest first: `reference("session", 12, "reminder")` is
    `session:12:reminder`. Withdrawing a reference withdraws those below it too."""
    texts = [str(part) for part in parts]
    if not texts or any(not text or SEPARATOR in text or text != text.strip() for text in texts):
        raise ValueError(f"a reference is made of non-empty parts without {SEPARATOR!r}: {parts}")
    return SEPARATOR.join(texts)


def tagged(ref: str, messages: Iterable[Outgoing]) -> list[Outgoing]:
    """`messages`, each tagged with the reference `ref`."""
    return [replace(message, reference=ref) for message in messages]


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
    not_before: datetime | None = None
    reference: str | None = None

    @property
    def owed_at(self) -> datetime | None:
        """From when the message is owed: its `not_before`, else when it was stored."""
        return self.not_before or self.created_at
