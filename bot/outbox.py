"""The outbox's vocabulary: what the bot owes someone (`Outgoing`), a row being sent
(`OutboxRow`), the kinds of Bot API call and the states a row goes through.

A feature owes messages by storing `Outgoing` rows in the same transaction as the change that
caused them; `bot.delivery` sends them. Nothing here touches the database or Telegram.

What a feature can ask for besides sending at once:
- `held_until`: not before a moment, nor once it is long past (reminders);
- `tagged` with a `reference` (`session:12:reminder`): `Storage.withdraw("session:12")` later
  withdraws its rows not yet sent (a cancelled session), and nobody else's;
- `upload`: a file the bot generated (a chart, a report), uploaded once, then sent again to
  each next recipient by Telegram's file id.
"""

import hashlib
import html
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

# Telegram's limits for bots: texts and captions in UTF-16 code units, uploads in bytes (kept
# on the safe side of "10 MB" and "50 MB").
TEXT_LIMIT, CAPTION_LIMIT = 4096, 1024
PHOTO_BYTES, DOCUMENT_BYTES = 10_000_000, 50_000_000


class OutboxKind(StrEnum):
    """The Bot API call a row makes (see `bot.delivery.send`)."""

    MESSAGE = "message"  # sendMessage: text, markup, reply_to
    PHOTO = "photo"  # sendPhoto … sendDocument: a file Telegram already has (file_id), caption
    VIDEO = "video"
    VOICE = "voice"
    DOCUMENT = "document"
    LOCATION = "location"  # sendLocation: latitude, longitude
    EDIT = "edit"  # editMessageText: message_id, text, markup
    UPLOAD = "upload"  # a file the bot generated, as a photo or a document, with its caption


class FileMedia(StrEnum):
    """How a generated file is sent: Telegram keeps a photo's and a document's file ids apart."""

    PHOTO = "photo"  # a chart: shown in the chat, recompressed by Telegram (at most 10 MB)
    DOCUMENT = "document"  # a PDF or XLSX report: the file as it is (at most 50 MB)


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
class GeneratedFile:
    """A file the bot made (a chart, a report), to send as `media` under `filename`. Its bytes
    are stored with the messages that send it, once however many they are, and dropped as soon
    as Telegram holds the file: every later recipient gets Telegram's file id."""

    content: bytes = field(repr=False)
    filename: str
    media: FileMedia = FileMedia.DOCUMENT
    sha256: str = field(init=False)  # with media and filename: the same file, sent again

    def __post_init__(self) -> None:
        limit = PHOTO_BYTES if self.media == FileMedia.PHOTO else DOCUMENT_BYTES
        if not self.content or len(self.content) > limit:
            raise ValueError(f"a generated {self.media} takes 1 to {limit:,} bytes, "
                             f"not {len(self.content):,}")  # fmt: skip
        if not self.filename.strip():
            raise ValueError("a generated file needs a file name")
        object.__setattr__(self, "sha256", hashlib.sha256(self.content).hexdigest())


@dataclass(frozen=True, slots=True)
class StoredFile:
    """A generated file as the outbox holds it: Telegram's `file_id` once it was uploaded, its
    bytes until then (None afterwards, or when no message needs them any more)."""

    id: int
    media: FileMedia
    filename: str
    file_id: str | None
    content: bytes | None = field(repr=False)


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A message the bot owes someone. `kind` names the Bot API call; `payload` holds its JSON
    arguments besides the chat.

    `not_before`: it is not sent before then (a reminder); it needs an `expires_at`.
    `expires_at`: after it the message is no longer worth sending: it is not sent any more, nor
    tried again after a failure. None: tried for the worker's `owed_for` after it was owed.
    `reference`: whose it is, for withdrawing it (see `reference()`).
    `upload`: the file an UPLOAD sends (see `upload()`)."""

    chat_id: int
    kind: str
    payload: dict[str, Any]
    priority: int = PRIORITY_PERSONAL
    ticket_id: int | None = None
    broadcast_id: int | None = None
    expires_at: datetime | None = None
    not_before: datetime | None = None
    reference: str | None = None
    upload: GeneratedFile | None = None

    def __post_init__(self) -> None:
        if (self.kind == OutboxKind.UPLOAD) != (self.upload is not None):
            raise ValueError("an upload, and only an upload, carries a generated file")
        if self.reference is not None:
            reference(*self.reference.split(SEPARATOR))  # well formed
        if self.not_before is None:
            return
        if self.expires_at is None:
            raise ValueError("a message held for later needs a deadline (expires_at)")
        if self.expires_at <= self.not_before:
            raise ValueError("a held message's deadline must come after its time")


def upload(
    chat_id: int,
    file: GeneratedFile,
    caption: str = "",
    *,
    priority: int = PRIORITY_PERSONAL,
    reference: str | None = None,
) -> Outgoing:
    """Send `file` to `chat_id` with `caption` (HTML, like every text the bot sends). A caption
    longer than Telegram's 1,024 characters is cut, ending in «…», and sent as plain text."""
    payload: dict[str, Any] = {"text": caption} if caption else {}
    if utf16_length(plain_text(caption)) > CAPTION_LIMIT:
        payload = {"text": shorten(plain_text(caption), CAPTION_LIMIT), "plain": True}
    return Outgoing(chat_id, OutboxKind.UPLOAD, payload, priority, reference=reference,
                    upload=file)  # fmt: skip


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
    generated_file: int | None = None  # an UPLOAD's `StoredFile`

    @property
    def owed_at(self) -> datetime | None:
        """From when the message is owed: its `not_before`, else when it was stored."""
        return self.not_before or self.created_at


# ---------------------------------------------------------------- Telegram's measure of text


def plain_text(text: str) -> str:
    """What an HTML message shows, as plain text: tags dropped, entities decoded."""
    return html.unescape(re.sub(r"<[^<>]*>", "", text))


def shorten(text: str, limit: int) -> str:
    """At most `limit` UTF-16 code units (Telegram's measure), ending in «…» when cut."""
    if utf16_length(text) <= limit:
        return text
    kept, used = [], 0
    for char in text:
        used += utf16_length(char)
        if used > limit - 1:
            break
        kept.append(char)
    return "".join(kept).rstrip() + "…"


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2
