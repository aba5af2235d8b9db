"""Drive the real Application offline.

`FakeBotAPI` stands in for the Bot API at the HTTP boundary (a `telegram.request.BaseRequest`),
so python-telegram-bot's own serialisation runs both ways; it records every call and can be told
to answer 429 or 403. `Harness` builds the bot with it, feeds real update JSON and reports what
each person was sent. Any exception inside a handler fails the test.
"""

import asyncio
import html
import itertools
import json
import re
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from telegram import Update
from telegram.error import TimedOut
from telegram.request import BaseRequest, RequestData

from bot.app import build_application
from bot.application import MahallehApplication
from bot.flood_control import FloodControl
from bot.update_order import FloodGuard
from config.catalog import Catalog, load_catalog
from config.settings import Settings

BOT_ID = 7000000001
CATALOG_PATH = Path(__file__).resolve().parent.parent / "config" / "catalog.toml"


@dataclass
class Call:
    """One Bot API request as the bot sent it."""

    method: str
    params: dict[str, Any]
    result: Any = None
    upload: tuple[str, bytes] | None = None  # (file name, bytes) of a file uploaded with it

    @property
    def message_id(self) -> int | None:
        return self.result.get("message_id") if isinstance(self.result, dict) else None

    @property
    def chat_id(self) -> int | None:
        chat = self.params.get("chat_id")
        return int(chat) if chat is not None else None

    @property
    def text(self) -> str:
        return self.params.get("text") or self.params.get("caption") or ""

    @property
    def visible(self) -> str:
        """The text as the person reads it: tags gone, entities decoded."""
        return html.unescape(re.sub(r"<[^<>]*>", "", self.text))

    @property
    def markup(self) -> dict[str, Any]:
        markup = self.params.get("reply_markup") or {}
        return json.loads(markup) if isinstance(markup, str) else markup

    @property
    def buttons(self) -> list[tuple[str, str]]:
        """Inline buttons as (label, callback_data), row by row."""
        rows = self.markup.get("inline_keyboard", [])
        return [(b["text"], b.get("callback_data", "")) for row in rows for b in row]

    @property
    def keyboard(self) -> list[str]:
        """Reply-keyboard labels, row by row."""
        rows = self.markup.get("keyboard", [])
        return [b if isinstance(b, str) else b["text"] for row in rows for b in row]

    def data_for(self, label_part: str) -> str:
        """The callback data of the inline button whose label contains `label_part`."""
        matches = [data for label, data in self.buttons if label_part in label]
        assert len(matches) == 1, f"{label_part!r} in {self.buttons}"
        return matches[0]


# Telegram's HTML parse mode knows these tags; any other `<` and every `&` that does not start
# an entity must be escaped, or the whole message is refused.
_TELEGRAM_TAGS = frozenset({
    "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a",
    "tg-emoji", "code", "pre", "blockquote",
})  # fmt: skip
_MARKUP = re.compile(
    r"<(/?)([a-z-]+)(?:\s[^<>]*)?>|&(?:lt|gt|amp|quot|#[0-9]+|#x[0-9a-fA-F]+);|[<&]"
)


def html_problem(text: str) -> str | None:
    """Why Telegram would refuse `text` as HTML ("can't parse entities"), or None."""
    open_tags: list[str] = []
    for match in _MARKUP.finditer(text):
        closing, name = match.group(1), match.group(2)
        if match.group(0) in "<&":
            return f"unescaped {match.group(0)!r} at offset {match.start()}"
        if name is None:
            continue  # an entity
        if name not in _TELEGRAM_TAGS:
            return f"unsupported start tag {name!r}"
        if not closing:
            open_tags.append(name)
        elif not open_tags or open_tags.pop() != name:
            return f"unmatched end tag {name!r}"
    return f"unclosed start tag {open_tags[-1]!r}" if open_tags else None


@dataclass
class Fault:
    """An error answer; status 0 is no answer at all (the request times out)."""

    status: int
    description: str
    retry_after: int | None = None
    parameters: dict[str, Any] | None = None  # e.g. {"migrate_to_chat_id": -100…}

    @classmethod
    def migrated(cls, new_chat_id: int) -> "Fault":
        """What Telegram answers a group that became a supergroup."""
        return cls(400, "Bad Request: group chat was upgraded to a supergroup chat",
                   parameters={"migrate_to_chat_id": new_chat_id})  # fmt: skip

    @classmethod
    def kicked(cls) -> "Fault":
        return cls(403, "Forbidden: bot was kicked from the supergroup chat")


TIMED_OUT = Fault(0, "Timed out")
TEXT_LIMIT, CAPTION_LIMIT = 4096, 1024


class FakeBotAPI(BaseRequest):
    """A Telegram Bot API in memory. Messages get increasing ids; faults are queued per method,
    or set per chat (`chat_faults`: a group the bot was removed from) or for every call that
    puts something into a chat (`down`: a network outage). Texts and captions longer than
    Telegram's limits are refused as Telegram does."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.updates: list[dict[str, Any]] = []
        self._message_ids = itertools.count(1000)
        self._file_ids = itertools.count(1)
        self._faults: dict[str, list[Fault]] = {}
        self.blocked: set[int] = set()
        self.chat_faults: dict[int, Fault] = {}
        self.down: Fault | None = None
        # Calls to these chats wait until their event is set: a slow network, on demand.
        self.held: dict[int, asyncio.Event] = {}
        self.waiting: list[Call] = []
        self.answered = asyncio.Event()  # set at every call answered
        self.latency = 0.0  # seconds each call takes, as over a network (benchmarks)

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    @property
    def read_timeout(self) -> float:
        return 1.0

    def fail_next(self, method: str, status: int, description: str, retry_after: int | None = None):
        self._faults.setdefault(method, []).append(Fault(status, description, retry_after))

    def _fault_for(self, call: Call) -> Fault | None:
        queued = self._faults.get(call.method, [])
        if queued:
            return queued.pop(0)
        if call.chat_id is not None and call.chat_id in self.chat_faults:
            return self.chat_faults[call.chat_id]
        if self.down is not None and call.chat_id is not None:
            return self.down
        if call.chat_id in self.blocked:
            return Fault(403, "Forbidden: bot was blocked by the user")
        return _too_long(call)

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = None,
        write_timeout: Any = None,
        connect_timeout: Any = None,
        pool_timeout: Any = None,
    ) -> tuple[int, bytes]:
        api_method = url.rsplit("/", 1)[-1]
        params = request_data.parameters if request_data else {}
        if api_method == "getUpdates":
            batch, self.updates = self.updates, []
            return self._ok(batch)
        call = Call(api_method, params, upload=_uploaded(request_data))
        if self.latency:
            await asyncio.sleep(self.latency)
        if call.chat_id in self.held:
            self.waiting.append(call)
            await self.held[call.chat_id].wait()
            self.waiting.remove(call)
        fault = self._fault_for(call)
        if fault is not None and fault.status == 0:
            raise TimedOut(fault.description)
        if fault is not None:
            return self._error(fault)
        problem = params.get("parse_mode") == "HTML" and html_problem(call.text)
        if problem:
            return self._error(Fault(400, f"Bad Request: can't parse entities: {problem}"))
        call.result = self._result(call)
        self.calls.append(call)
        self.answered.set()
        return self._ok(call.result)

    def _result(self, call: Call) -> Any:
        if call.method == "getMe":
            return {
                "id": BOT_ID,
                "is_bot": True,
                "first_name": "همیار محله",
                "username": "mahalleh_test_bot",
                "can_join_groups": True,
                "can_read_all_group_messages": False,
                "supports_inline_queries": False,
            }
        if call.method.startswith("send") or call.method.startswith("edit"):
            return self._message(call)
        return True

    def _message(self, call: Call) -> dict[str, Any]:
        message_id = call.params.get("message_id") or next(self._message_ids)
        chat_id = call.chat_id or 0
        message: dict[str, Any] = {
            "message_id": message_id,
            "date": int(datetime.now(UTC).timestamp()),
            "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"},
            "from": {"id": BOT_ID, "is_bot": True, "first_name": "همیار محله"},
        }
        if "text" in call.params:
            message["text"] = call.params["text"]
        if call.markup.get("inline_keyboard"):
            message["reply_markup"] = call.markup
        if call.method in ("sendPhoto", "sendDocument"):
            message.update(self._file(call))
        return message

    def _file(self, call: Call) -> dict[str, Any]:
        """What Telegram answers about a photo or document it received: the file id it was sent
        by, or new ids for an upload (a photo in two sizes, the largest last)."""
        n = next(self._file_ids)
        if call.method == "sendPhoto":
            largest = call.params.get("photo") if call.upload is None else f"AgACphoto{n}"
            return {"photo": [
                {"file_id": f"AgACthumb{n}", "file_unique_id": f"t{n}", "width": 90, "height": 60},
                {"file_id": largest, "file_unique_id": f"p{n}", "width": 1280, "height": 960},
            ]}  # fmt: skip
        if call.upload is None:
            return {"document": {"file_id": call.params.get("document"), "file_unique_id": f"d{n}"}}
        name, content = call.upload
        document = {"file_id": f"BQACdocument{n}", "file_unique_id": f"d{n}", "file_name": name,
                    "file_size": len(content)}  # fmt: skip
        return {"document": document}

    @staticmethod
    def _ok(result: Any) -> tuple[int, bytes]:
        return 200, json.dumps({"ok": True, "result": result}).encode()

    @staticmethod
    def _error(fault: Fault) -> tuple[int, bytes]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": fault.status,
            "description": fault.description,
        }
        if fault.retry_after is not None:
            body["parameters"] = {"retry_after": fault.retry_after}
        if fault.parameters:
            body["parameters"] = fault.parameters
        return fault.status, json.dumps(body).encode()

    # ---------------------------------------------------------------- reading what was sent

    def sent_to(self, chat_id: int) -> list[Call]:
        return [c for c in self.calls if c.chat_id == chat_id and c.method != "setMyCommands"]

    def last_to(self, chat_id: int) -> Call:
        sent = self.sent_to(chat_id)
        assert sent, f"nothing was sent to {chat_id}"
        return sent[-1]


def _uploaded(request_data: RequestData | None) -> tuple[str, bytes] | None:
    """The file sent with a request (multipart), as (file name, bytes)."""
    if request_data is None or not request_data.contains_files:
        return None
    files = request_data.multipart_data
    assert len(files) == 1, f"one file a call here: {list(files)}"
    name, content, *_ = next(iter(files.values()))
    return name, content


def _too_long(call: Call) -> Fault | None:
    """Telegram's length limits, counted on the text as shown (UTF-16 code units)."""
    text, limit = call.params.get("text"), TEXT_LIMIT
    if text is None:
        text, limit = call.params.get("caption"), CAPTION_LIMIT
    if not isinstance(text, str):
        return None
    if call.params.get("parse_mode") == "HTML":
        text = html.unescape(re.sub(r"<[^<>]*>", "", text))
    if len(text.encode("utf-16-le")) // 2 <= limit:
        return None
    what = "message is too long" if limit == TEXT_LIMIT else "message caption is too long"
    return Fault(400, f"Bad Request: {what}")


class DiskFull:
    """While `full`, the database refuses every write as a full disk does (sqlite3's
    OperationalError "database or disk is full"); reads still work. The conversation store is
    spared: what it does on a full disk is not what these tests are about."""

    WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "COMMIT")

    def __init__(self, storage: Any, monkeypatch: Any, refused: tuple[str, ...] = WRITES) -> None:
        self.full = False
        self.statements = refused  # the statements a full disk refuses (e.g. only COMMIT)
        self.refused = 0  # writes refused so far
        db = storage._db
        for name in ("execute", "execute_fetchall", "executemany"):
            monkeypatch.setattr(db, name, self._guard(getattr(db, name)))

    def _guard(self, real: Any) -> Any:
        def guarded(sql: str, *args: Any) -> Any:
            words = sql.lstrip().upper()
            if self.full and words.startswith(self.statements) and " PERSISTENCE" not in words:
                self.refused += 1
                raise sqlite3.OperationalError("database or disk is full")
            return real(sql, *args)

        return guarded


class FakeClock:
    """UTC now that a test moves forward."""

    def __init__(self, start: datetime | None = None) -> None:
        self.moment = start or datetime(2025, 12, 21, 6, 30, tzinfo=UTC)  # 1404/09/30 10:00 Tehran

    def now(self) -> datetime:
        return self.moment

    def advance(self, **delta: float) -> None:
        self.moment += timedelta(**delta)


@dataclass
class Person:
    id: int
    first_name: str = "مریم"

    @property
    def json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "is_bot": False,
            "first_name": self.first_name,
            "language_code": "fa",
        }


@dataclass
class Harness:
    """The real bot with a fake Bot API and clock, on a database in `db_path`."""

    db_path: Path
    admins: frozenset[int] = frozenset()
    agency_chats: dict[str, int] = field(default_factory=dict)
    api: FakeBotAPI = field(default_factory=FakeBotAPI)
    clock: FakeClock = field(default_factory=FakeClock)
    app: MahallehApplication | None = None
    errors: list[BaseException] = field(default_factory=list)
    auto_deliver: bool = True  # send what is owed after each update, as the worker would
    # Seconds the bot waited out after 429s (tests do not wait them for real).
    waited: list[float] = field(default_factory=list)
    flood_guard: FloodGuard = field(default_factory=lambda: FloodGuard(burst=1_000_000))
    # An office's edit of the catalog file, applied at the next start.
    edit_catalog: Callable[[Catalog], Catalog] = lambda catalog: catalog
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    def settings(self) -> Settings:
        return Settings(
            _env_file=None,
            bot_token="123456:TEST-TOKEN",
            bot_api_url="http://127.0.0.1:9/bot",
            database_path=self.db_path,
            admin_ids=",".join(map(str, self.admins)),
            catalog_path=CATALOG_PATH,
            delivery_worker=False,
        )

    async def start(self) -> None:
        settings = self.settings()
        catalog = load_catalog(settings.catalog_path)
        agencies = [
            a.model_copy(update={"chat_id": self.agency_chats.get(a.key)}) for a in catalog.agencies
        ]
        self.app = build_application(
            settings,
            self.edit_catalog(catalog.model_copy(update={"agencies": agencies})),
            request=self.api,
            clock=self.clock.now,
            # The real limiter, with its limits off: tests do not wait for real time.
            flood_control=FloodControl(None, sleep=self._wait_out),
            flood_guard=self.flood_guard,
        )

        async def record(update: object, context: Any) -> None:
            self.errors.append(context.error)

        self.app.add_error_handler(record)
        try:
            await self.app.initialize()
        except BaseException:
            self.app = None  # it did not start: nothing to stop
            raise
        await self.app.start()

    async def _wait_out(self, seconds: float) -> None:
        self.waited.append(seconds)
        await asyncio.sleep(0)

    async def stop(self) -> None:
        if self.app is not None:
            await self.app.stop()
            await self.app.shutdown()
            self.app = None

    async def restart(self) -> None:
        """Stop the bot and start a fresh Application on the same database."""
        await self.stop()
        await self.start()

    # ---------------------------------------------------------------- feeding updates

    async def feed(self, data: dict[str, Any]) -> list[Call]:
        """Process one update (JSON as Telegram sends it); return the calls it caused."""
        assert self.app is not None
        before = len(self.api.calls)
        update = self._update(data)
        await self.app.update_processor.process_update(update, self.app.process_update(update))
        if self.auto_deliver:
            await self.app.delivery.drain()
        if self.errors:
            raise AssertionError(f"handler raised: {self.errors!r}") from self.errors[0]
        return self.api.calls[before:]

    async def arrive(self, data: dict[str, Any]) -> None:
        """Put an update on the queue, as polling or the webhook would: the application's own
        loop handles it, concurrently with others. `bot.app.update_queue.join()` waits."""
        await self.app.update_queue.put(self._update(data))

    def _update(self, data: dict[str, Any]) -> Update:
        """The Update for JSON as Telegram sends it, given the next update_id."""
        assert self.app is not None
        return Update.de_json({"update_id": next(self._ids), **data}, self.app.bot)

    def message(self, person: Person, **content: Any) -> dict[str, Any]:
        """A private message update's JSON (without update_id)."""
        return {
            "message": {
                "message_id": next(self._ids),
                "date": int(self.clock.now().timestamp()),
                "chat": {"id": person.id, "type": "private", "first_name": person.first_name},
                "from": person.json,
                **content,
            }
        }

    async def send(self, person: Person, text: str) -> list[Call]:
        """A typed message, processed; returns the calls it caused."""
        return await self.feed(self.typed(person, text))

    def typed(self, person: Person, text: str) -> dict[str, Any]:
        """A typed message's JSON; a leading /command gets its entity like a real client sends."""
        content: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            content["entities"] = [
                {"type": "bot_command", "offset": 0, "length": len(text.split()[0])}
            ]
        return self.message(person, **content)

    async def send_contact(self, person: Person, phone: str, owner_id: int | None) -> list[Call]:
        contact = {"phone_number": phone, "first_name": person.first_name}
        if owner_id is not None:
            contact["user_id"] = owner_id
        return await self.feed(self.message(person, contact=contact))

    async def send_raw(self, person: Person, **content: Any) -> list[Call]:
        """A message with any content: sticker, voice, photo …"""
        return await self.feed(self.message(person, **content))

    async def press(self, person: Person, data: str, on: Call | None = None) -> list[Call]:
        """Press an inline button (callback data `data`) under the bot message `on`."""
        return await self.feed(self.button_press(person, data, on))

    def button_press(self, person: Person, data: str, on: Call | None = None) -> dict[str, Any]:
        """A callback query update's JSON (without update_id)."""
        chat_id = on.chat_id if on and on.chat_id else person.id
        message = {
            "message_id": (on.message_id if on else None) or 1,
            "date": int(self.clock.now().timestamp()),
            "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"},
            "from": {"id": BOT_ID, "is_bot": True, "first_name": "همیار محله"},
            "text": on.text if on else "…",
        }
        query = {
            "id": str(next(self._ids)),
            "from": person.json,
            "chat_instance": "1",
            "data": data,
            "message": message,
        }
        return {"callback_query": query}


async def eventually(condition: Callable[[], object], seconds: float = 30) -> None:
    """Wait (bounded) for something a running application or a child process does."""
    for _ in range(int(seconds * 50)):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("timed out")


def group_chat(chat_id: int) -> dict[str, Any]:
    return {"id": chat_id, "type": "supergroup" if chat_id < -10**12 else "group",
            "title": "گروه"}  # fmt: skip


def bot_membership(chat_id: int, by: Person, old: str, new: str) -> dict[str, Any]:
    """A my_chat_member update: `by` changed the bot's status in a group from `old` to `new`
    ('left', 'kicked', 'member', 'administrator')."""

    def member(status: str) -> dict[str, Any]:
        bot = {"id": BOT_ID, "is_bot": True, "first_name": "همیار محله"}
        if status == "kicked":
            return {"status": status, "user": bot, "until_date": 0}
        if status == "administrator":
            flags = ("can_be_edited", "is_anonymous", "can_manage_chat", "can_delete_messages",
                     "can_manage_video_chats", "can_restrict_members", "can_promote_members",
                     "can_change_info", "can_invite_users", "can_post_stories",
                     "can_edit_stories", "can_delete_stories")  # fmt: skip
            return {"status": status, "user": bot, **dict.fromkeys(flags, False)}
        return {"status": status, "user": bot}

    return {
        "my_chat_member": {
            "chat": group_chat(chat_id),
            "from": by.json,
            "date": 1766300000,
            "old_chat_member": member(old),
            "new_chat_member": member(new),
        }
    }


def group_service(chat_id: int, by: Person, **content: Any) -> dict[str, Any]:
    """A service message in a group (e.g. migrate_to_chat_id=…)."""
    return {
        "message": {
            "message_id": 1,
            "date": 1766300000,
            "chat": group_chat(chat_id),
            "from": by.json,
            **content,
        }
    }


def texts(calls: list[Call]) -> str:
    """All text the calls showed, joined: handy for `in` assertions."""
    shown = [c.text for c in calls]
    shown += [c.params.get("text", "") for c in calls if c.method == "answerCallbackQuery"]
    return "\n".join(filter(None, shown))
