"""The outbox worker: the one place that sends what the database says the bot owes.

Rows are claimed a few at a time once due (at once, or at their `not_before`: a reminder),
marked 'sending', one per chat so that a chat gets its messages in order, and handed to the bot,
whose `FloodControl` paces them under Telegram's limits behind the replies people wait for and
waits out 429s; and then:
- not sent at all if their `expires_at` passed meanwhile (a reminder whose moment is gone while
  the bot was down): given up;
- sent; an upload (a file the bot generated) goes as its bytes the first time, and by the file
  id Telegram answers with to every later recipient (sends of the same file wait meanwhile);
- tried again later after network trouble (NetworkError, timeouts, 5xx), 2 s, 4 s … up to every
  10 minutes, for as long as the message is worth sending (`expires_at`, else `owed_for` after
  it was owed), then given up;
- sent again at once in a form Telegram accepts when it says how (entities it cannot parse: plain
  text; too long: shortened with «…»);
- followed to a group's new id when the group became a supergroup (`on_migrated`);
- given up when it can never succeed: a request Telegram refuses, or a chat that is gone (the
  bot blocked or removed, the chat deleted), which drops everything that chat is owed.
What is given up goes through `on_give_up` (the application hands an agency's tickets back to
the facilitators there).

When the database cannot be written (disk full …) the outcome of a send is kept in memory and
recorded as soon as a write works again, so that no row stays 'sending' and no message goes out
twice; meanwhile the worker pauses, longer each time (up to 30 s), with one log line per
streak. After a crash, rows still 'sending' are sent again: only those in flight at that instant
can reach someone twice.
"""

import asyncio
import contextlib
import functools
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from datetime import datetime, timedelta
from enum import Enum
from typing import Any

from telegram import (
    Bot,
    InlineKeyboardMarkup,
    InputFile,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    ReplyParameters,
)
from telegram.error import BadRequest, ChatMigrated, Forbidden, TelegramError
from telegram.ext import CallbackContext

from bot.flood_control import FloodControl, Priority
from bot.outbox import (
    CAPTION_LIMIT,
    PRIORITY_PERSONAL,
    TEXT_LIMIT,
    OutboxKind,
    OutboxRow,
    OutboxState,
    StoredFile,
    plain_text,
    shorten,
    utf16_length,
)
from bot.storage import STORAGE_ERRORS, Storage

_LOGGER = logging.getLogger(__name__)

RETRY_LONGEST = 600  # seconds between tries of a message that meets network trouble, at most
PAUSE_FIRST, PAUSE_LONGEST = 1.0, 30.0  # seconds the worker waits while it cannot write
IDLE_LOOK = 60.0  # seconds an idle worker sleeps at most before it looks at the outbox again
# Kinds whose text is a caption.
MEDIA_KINDS = (OutboxKind.PHOTO, OutboxKind.VIDEO, OutboxKind.VOICE, OutboxKind.DOCUMENT,
               OutboxKind.UPLOAD)  # fmt: skip
# Telegram's words (lower case) for a chat that will never take a message again.
CHAT_GONE = (
    "chat not found", "user is deactivated", "bot was kicked", "bot was blocked",
    "chat was deactivated", "peer_id_invalid", "bot is not a member", "have no rights to send",
    "not enough rights to send",
)  # fmt: skip


class GiveUp(Enum):
    """Why a message is given up; a chat that is gone takes everything it is owed along."""

    BLOCKED = "blocked"  # 403: the person blocked the bot, or it was removed from the group
    GONE = "gone"  # the chat no longer exists for the bot
    REFUSED = "refused"  # Telegram will never accept this request
    EXPIRED = "expired"  # network trouble until it was no longer worth sending

    @property
    def state(self) -> OutboxState:
        """The outbox state of what is given up."""
        return OutboxState.BLOCKED if self is GiveUp.BLOCKED else OutboxState.FAILED

    @property
    def whole_chat(self) -> bool:
        return self in (GiveUp.BLOCKED, GiveUp.GONE)


Record = Callable[[], Awaitable[Any]]  # writes a send's outcome to the database
OnGiveUp = Callable[[OutboxRow, str, GiveUp], Awaitable[Any]]
OnMigrated = Callable[[OutboxRow, int], Awaitable[Any]]


async def send(bot: Bot, row: OutboxRow, urgency: Priority | None = None) -> Message | bool:
    """Perform one owed Bot API call. Payload keys: text, markup, reply_to, file_id,
    latitude/longitude, message_id (for edits), plain (text without parse mode). `urgency` by
    default follows the row's priority (a preview the author waits for is a reply)."""
    p = row.payload
    if urgency is None:
        urgency = Priority.NOTICE if row.priority <= PRIORITY_PERSONAL else Priority.BULK
    common: dict[str, Any] = {"chat_id": row.chat_id, "rate_limit_args": urgency}
    if p.get("markup"):
        common["reply_markup"] = _markup(p["markup"], bot)
    if p.get("reply_to"):
        common["reply_parameters"] = ReplyParameters(
            p["reply_to"], allow_sending_without_reply=True
        )
    text: str | None = p.get("text")
    plain: dict[str, Any] = {"parse_mode": None} if p.get("plain") else {}
    match row.kind:
        case OutboxKind.MESSAGE:
            return await bot.send_message(text=text or "", **plain, **common)
        case OutboxKind.PHOTO:
            return await bot.send_photo(photo=p["file_id"], caption=text, **plain, **common)
        case OutboxKind.VIDEO:
            return await bot.send_video(video=p["file_id"], caption=text, **plain, **common)
        case OutboxKind.VOICE:
            return await bot.send_voice(voice=p["file_id"], caption=text, **plain, **common)
        case OutboxKind.DOCUMENT:
            return await bot.send_document(document=p["file_id"], caption=text, **plain, **common)
        case OutboxKind.LOCATION:
            return await bot.send_location(
                latitude=p["latitude"], longitude=p["longitude"], **common
            )
        case OutboxKind.EDIT:
            common.pop("reply_parameters", None)
            return await bot.edit_message_text(
                text=text or "", message_id=p["message_id"], **plain, **common
            )
    raise ValueError(f"unknown outbox kind {row.kind!r}")


def repaired(row: OutboxRow, error: str) -> OutboxRow | None:
    """The row in a form Telegram said it would accept, or None if there is nothing to fix:
    HTML it cannot parse goes as plain text; a text or caption too long is cut, ending in «…»."""
    text, reason = row.payload.get("text"), error.lower()
    if not text:
        return None
    if "can't parse entities" in reason and not row.payload.get("plain"):
        return replace(row, payload={**row.payload, "text": plain_text(text), "plain": True})
    if "too long" in reason:
        limit = CAPTION_LIMIT if row.kind in MEDIA_KINDS else TEXT_LIMIT
        shown = text if row.payload.get("plain") else plain_text(text)
        if utf16_length(shown) <= limit and row.payload.get("plain"):
            return None  # already as short as that: not the length
        return replace(row, payload={**row.payload, "text": shorten(shown, limit), "plain": True})
    return None


def _file_id(message: Message | bool) -> str | None:
    """Telegram's id of the file a message carries (of a photo: its largest size)."""
    if not isinstance(message, Message):
        return None
    if message.photo:
        return message.photo[-1].file_id
    return message.document.file_id if message.document else None


def _markup(
    data: dict, bot: Bot
) -> InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove:
    if "inline_keyboard" in data:
        return InlineKeyboardMarkup.de_json(data, bot)
    if "keyboard" in data:
        return ReplyKeyboardMarkup.de_json(data, bot)
    return ReplyKeyboardRemove()


class DeliveryWorker:
    """Keeps up to `concurrency` owed messages with the bot at once: enough that the budget
    `FloodControl` hands out is never idle for want of something to send, even while some
    chats wait their turn. A message owed without an `expires_at` is worth trying for
    `owed_for` after it was owed (after its `not_before`, for one held until then)."""

    def __init__(self, bot: Bot, storage: Storage, *, concurrency: int = 32,
                 owed_for: timedelta = timedelta(days=7)) -> None:  # fmt: skip
        self.bot = bot
        self.storage = storage
        self.concurrency = concurrency
        self.owed_for = owed_for
        self._wake = asyncio.Event()
        self._in_flight: set[asyncio.Task] = set()
        self._runner: asyncio.Task | None = None
        # Whether the outbox may hold something due: lets an idle worker skip the database.
        self._maybe_due = True
        self._retry_at: datetime | None = None  # the earliest retry this worker scheduled
        self.wakes_at: datetime | None = None  # when the idle worker looks again by itself
        self.retried = 0  # network retries since the last minute's log line
        # Outcomes the database could not take yet, oldest first; and the pause meanwhile.
        self._unrecorded: list[Record] = []
        self._pause: float | None = None  # seconds; None while writes work
        self._paused_until: datetime | None = None
        self._failed_writes = 0
        # Generated files Telegram holds (by their id in the outbox), and those being uploaded.
        self._uploaded: dict[int, StoredFile] = {}
        self._uploading: dict[int, asyncio.Lock] = {}
        self.on_give_up: OnGiveUp = self._give_up
        self.on_migrated: OnMigrated = self._follow
        storage.on_enqueue = self._something_owed

    # ---------------------------------------------------------------- lifecycle

    async def start(self) -> None:
        resent = await self.storage.requeue_in_flight()
        if resent:
            _LOGGER.warning("Resending %d message(s) that were in flight at the last stop", resent)
        self._runner = asyncio.create_task(self._run(), name="delivery")

    async def stop(self) -> None:
        if self._runner is not None:
            self._runner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._runner
            self._runner = None
        if self._in_flight:  # let sends already made finish and be recorded
            await asyncio.gather(*self._in_flight, return_exceptions=True)

    async def _run(self) -> None:
        while True:
            try:
                started = await self._fill()
            except Exception:
                _LOGGER.exception("Delivery loop error; retrying in a second")
                started = 0
            if started == 0:
                await self._sleep_until_due()

    async def drain(self) -> int:
        """Send everything due now and wait for it (tests, maintenance). Returns how many."""
        self._maybe_due = True  # whatever the clock says now: look
        total = 0
        while started := await self._fill():
            total += started
            await asyncio.gather(*self._in_flight, return_exceptions=True)
        await asyncio.gather(*self._in_flight, return_exceptions=True)
        return total

    # ---------------------------------------------------------------- the loop

    async def _fill(self) -> int:
        """Record what could not be recorded yet, then claim as many due rows as there are free
        slots and start sending them. Nothing while paused after a failed write."""
        now = self.storage.now()
        if self._paused_until is not None and now < self._paused_until:
            return 0
        free = self.concurrency - len(self._in_flight)
        if self._retry_at is not None and now >= self._retry_at:
            self._retry_at, self._maybe_due = None, True
        try:
            if self._unrecorded:
                while self._unrecorded:
                    await self._unrecorded[0]()
                    self._unrecorded.pop(0)
                self._writes_work()
            if free <= 0 or not self._maybe_due:
                return 0
            rows = await self.storage.claim_due(free)
        except Exception as exc:
            self._write_failed(exc)
            return 0
        if rows:
            self._writes_work()
        if len(rows) < free:  # all that is due was taken
            self._maybe_due = False
        for row in rows:
            task = asyncio.create_task(self._deliver(row))
            self._in_flight.add(task)
            task.add_done_callback(functools.partial(self._done, row))
        return len(rows)

    def _something_owed(self) -> None:
        self._maybe_due = True
        self._wake.set()

    def _done(self, row: OutboxRow, task: asyncio.Task) -> None:
        self._in_flight.discard(task)
        if row.queued_behind:  # that chat's next message can be claimed now
            self._maybe_due = True
        self._wake.set()  # a slot is free

    async def _sleep_until_due(self) -> None:
        """Wait until something may be claimed: woken when a message is owed or a send ends,
        else at the next message's time (see `Storage.next_due`), at the end of a pause after a
        failed write, or after IDLE_LOOK at the latest (the wall clock may jump)."""
        self._wake.clear()  # before the read: a message owed meanwhile wakes us at once
        now = self.storage.now()
        wake_at = now + timedelta(seconds=IDLE_LOOK)
        if self._paused_until is not None and now < self._paused_until:
            wake_at = self._paused_until
        elif len(self._in_flight) < self.concurrency:  # else only a send's end frees a slot
            try:
                due = await self.storage.next_due()
            except Exception:  # a read that fails: look again in a second
                due = now + timedelta(seconds=1)
            if due is not None:
                wake_at = min(wake_at, due)
        self.wakes_at = wake_at
        try:
            timeout = max((wake_at - now).total_seconds(), 0.01)
            await asyncio.wait_for(self._wake.wait(), timeout=timeout)
        except TimeoutError:
            self._maybe_due = True  # due by the clock now

    # ---------------------------------------------------------------- database trouble

    def _write_failed(self, exc: Exception) -> None:
        """A write failed: pause, longer each time; one log line for the whole streak."""
        now = self.storage.now()
        self._failed_writes += 1
        if self._paused_until is not None and now < self._paused_until:
            return  # another send of the same moment: the pause already stands
        if self._pause is None:
            self._pause = PAUSE_FIRST
            _LOGGER.error(
                "Cannot write to the database (%s: %s): delivery pauses and tries again, "
                "up to every %.0f s; sends already made are recorded then",
                type(exc).__name__, exc, PAUSE_LONGEST,
                exc_info=None if isinstance(exc, STORAGE_ERRORS) else exc,  # a bug: its trace
            )  # fmt: skip
        else:
            self._pause = min(self._pause * 2, PAUSE_LONGEST)
        self._paused_until = now + timedelta(seconds=self._pause)

    def _writes_work(self) -> None:
        if self._pause is not None:
            _LOGGER.warning("The database takes writes again after %d failed write(s); "
                            "delivery resumes", self._failed_writes)  # fmt: skip
        self._pause = self._paused_until = None
        self._failed_writes = 0

    async def _record(self, record: Record) -> None:
        """Write a send's outcome; if the database refuses, keep it for later (the row stays
        'sending', its chat waits, and nothing is sent twice)."""
        if self._unrecorded:  # keep the order: the earlier outcomes go first
            self._unrecorded.append(record)
            return
        try:
            await record()
        except Exception as exc:
            self._unrecorded.append(record)
            self._write_failed(exc)
        else:
            self._writes_work()

    # ---------------------------------------------------------------- one message

    async def _deliver(self, row: OutboxRow) -> None:
        async with self._first_upload(row.generated_file):
            record = await self._attempt(row)
        await self._record(record)

    @contextlib.asynccontextmanager
    async def _first_upload(self, file: int | None) -> AsyncIterator[None]:
        """Sends of a generated file wait while it is being uploaded for the first time, so that
        the next recipients get Telegram's file id instead of another upload; then they all go
        at once. Should the upload fail, the next one waiting uploads it."""
        if file is not None and file not in self._uploaded:
            lock = self._uploading.setdefault(file, asyncio.Lock())
            await lock.acquire()
            if file not in self._uploaded:  # nobody uploaded it yet: this send does, alone
                try:
                    yield
                finally:
                    lock.release()
                    if file in self._uploaded:
                        self._uploading.pop(file, None)
                return
            lock.release()
        yield

    async def _with_file(self, row: OutboxRow) -> tuple[OutboxRow, StoredFile | None]:
        """An upload as the call that makes it: its generated file by Telegram's file id once
        Telegram holds it, else by its bytes (then also the file, whose id the answer gives)."""
        assert row.generated_file is not None
        file = self._uploaded.get(row.generated_file)
        if file is None:
            file = await self.storage.stored_file(row.generated_file)
        if file is None or (file.file_id is None and file.content is None):
            raise LookupError(f"generated file {row.generated_file} is no longer stored")
        sent: str | InputFile
        if file.file_id is not None:
            self._uploaded[file.id] = file
            sent = file.file_id
        else:
            assert file.content is not None  # checked above
            sent = InputFile(file.content, filename=file.filename)
        call = replace(row, kind=file.media, payload={**row.payload, "file_id": sent})
        return call, None if file.file_id else file

    async def _attempt(self, row: OutboxRow) -> Record:
        """Send the row, repaired if Telegram says how; return how to record what happened."""
        if row.expires_at is not None and self.storage.now() >= row.expires_at:
            _LOGGER.warning("Message %s to %s not sent: its deadline %s passed before it could go",
                            row.id, row.chat_id, row.expires_at.isoformat())  # fmt: skip
            return functools.partial(self.on_give_up, row, "deadline passed", GiveUp.EXPIRED)
        while True:
            try:
                call, uploading = row, None
                if row.generated_file is not None:
                    call, uploading = await self._with_file(row)
                result = await send(self.bot, call)
            except BadRequest as exc:  # before TelegramError: a BadRequest is a NetworkError
                error = str(exc)
                if "not modified" in error.lower():
                    return functools.partial(self.storage.mark_sent, row, row.payload.get(
                        "message_id"))  # fmt: skip
                if any(words in error.lower() for words in CHAT_GONE):
                    _LOGGER.warning("Chat %s is gone for the bot: %s", row.chat_id, error)
                    return functools.partial(self.on_give_up, row, error, GiveUp.GONE)
                fixed = repaired(row, error)
                if fixed is None:
                    _LOGGER.error("Message %s to %s refused: %s", row.id, row.chat_id, error)
                    return functools.partial(self.on_give_up, row, error, GiveUp.REFUSED)
                _LOGGER.info("Message %s to %s sent again as plain or shorter text: %s",
                             row.id, row.chat_id, error)  # fmt: skip
                row = fixed
            except Forbidden as exc:
                _LOGGER.info("Chat %s refuses the bot: %s", row.chat_id, exc)
                return functools.partial(self.on_give_up, row, str(exc), GiveUp.BLOCKED)
            except ChatMigrated as exc:
                _LOGGER.warning("Chat %s became supergroup %s", row.chat_id, exc.new_chat_id)
                return functools.partial(self.on_migrated, row, int(exc.new_chat_id))
            except TelegramError as exc:  # network trouble, timeouts, 5xx (and the unforeseen)
                return self._retry_later(row, str(exc) or type(exc).__name__)
            except STORAGE_ERRORS as exc:  # an upload's file could not be read: later
                return self._retry_later(row, str(exc) or type(exc).__name__)
            except Exception as exc:
                _LOGGER.exception("Message %s could not be sent", row.id)
                return functools.partial(self.on_give_up, row, repr(exc), GiveUp.REFUSED)
            else:
                message_id = result.message_id if isinstance(result, Message) else None
                file_id = _file_id(result) if uploading else None
                if uploading is None or file_id is None:
                    return functools.partial(self.storage.mark_sent, row, message_id)
                self._uploaded[uploading.id] = replace(uploading, file_id=file_id, content=None)
                return functools.partial(self.storage.mark_uploaded, row, message_id, file_id)

    def _retry_later(self, row: OutboxRow, error: str) -> Record:
        """Again after 2 s, 4 s … at most 10 minutes apart, until the row's deadline."""
        now = self.storage.now()
        deadline = row.expires_at or (row.owed_at or now) + self.owed_for
        if now >= deadline:
            _LOGGER.warning("Giving up on message %s to %s after %d attempts, no longer worth "
                            "sending: %s", row.id, row.chat_id, row.attempts, error)  # fmt: skip
            return functools.partial(self.on_give_up, row, error, GiveUp.EXPIRED)
        at = now + timedelta(seconds=min(2 ** min(row.attempts, 10), RETRY_LONGEST))
        self._retry_at = at if self._retry_at is None else min(self._retry_at, at)
        self.retried += 1
        return functools.partial(self.storage.mark_retry, row.id, at, error)

    async def _give_up(self, row: OutboxRow, error: str, why: GiveUp) -> None:
        """What is given up when nobody asked for more (the application does: see app.py)."""
        await self.storage.give_up(row, error, state=why.state, whole_chat=why.whole_chat)

    async def _follow(self, row: OutboxRow, new_chat_id: int) -> None:
        await self.storage.move_chat(row.chat_id, new_chat_id, [], [])


async def log_minute(context: CallbackContext) -> None:
    """Once a minute, one line for the operator: what went out and what had to wait."""
    flood_control = context.bot.rate_limiter
    assert isinstance(flood_control, FloodControl)
    sent, limited = flood_control.take_counts()
    worker: DeliveryWorker = context.application.delivery  # type: ignore[attr-defined]
    retried, worker.retried = worker.retried, 0
    if sent or limited or retried:
        _LOGGER.info(
            "Last minute: %d replies, %d notices, %d announcement copies sent; "
            "%d answered 429 and sent again; %d retried after network trouble",
            sent[Priority.REPLY],
            sent[Priority.NOTICE],
            sent[Priority.BULK],
            limited,
            retried,
        )


async def prune_job(context: CallbackContext) -> None:
    """Daily: the bytes of generated files that no message still to be sent needs (withdrawn,
    given up) leave the database; those sent left it at once."""
    worker: DeliveryWorker = context.application.delivery  # type: ignore[attr-defined]
    dropped = await worker.storage.drop_unneeded_files()
    if dropped:
        _LOGGER.info("Dropped the bytes of %d generated file(s) no message needs", dropped)
