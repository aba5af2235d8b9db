"""A local stand-in for the Telegram Bot API that keeps Telegram's limits, for the benchmarks.

`StandIn` serves one bot token on 127.0.0.1 (tornado): getMe, getUpdates (long polling that
honours `offset`, `limit` and `timeout`), deleteWebhook, setMyCommands and every sending
method (sendMessage, sendPhoto, sendDocument, sendVideo, sendLocation, editMessageText,
editMessageReplyMarkup, copyMessage, forwardMessage, answerCallbackQuery …), answering with
plausible message JSON: message ids increase per chat and inline keyboards are echoed back.

Counted messages (methods starting with send, except sendChatAction, and edit, copy,
forward) obey Telegram's limits, each a constructor parameter: at most `overall_per_second`
in any sliding second, per chat a token bucket of `chat_burst` refilled at `chat_per_second`,
and per group chat (negative id) `group_per_minute` in any sliding minute. A message over a
limit gets 429 with `parameters.retry_after` (whole seconds, at least 1); 429s are counted
per method. Every accepted call but getUpdates is recorded with its `time.monotonic()` moment;
every update, with the moment it was first handed to the bot in a getUpdates answer.

The module also holds what both benchmark scripts need around the bot process: its
environment and a database seeded with residents.
"""

import asyncio
import collections
import contextlib
import itertools
import json
import logging
import math
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tornado.web

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "123456:BENCH"
BOT_ID = 7000000001
BOT_USER = {"id": BOT_ID, "is_bot": True, "first_name": "همیار محله", "username": "bench_bot",
            "can_join_groups": True, "can_read_all_group_messages": False,
            "supports_inline_queries": False}  # fmt: skip
NEIGHBORHOODS = ["shahr_qaem", "esmaeilabad", "aminabad", "darvazeh_rey"]


def counted(method: str) -> bool:
    """Whether Telegram counts this method against the message limits."""
    return method.startswith(("send", "edit", "copy", "forward")) and method != "sendChatAction"


@dataclass(slots=True)
class Call:
    """One accepted Bot API call."""

    at: float  # time.monotonic() when accepted
    method: str
    chat_id: int | None
    params: dict[str, str]
    result: Any

    @property
    def text(self) -> str:
        return self.params.get("text") or self.params.get("caption") or ""

    @property
    def markup(self) -> dict[str, Any]:
        raw = self.params.get("reply_markup")
        return json.loads(raw) if raw else {}

    @property
    def buttons(self) -> list[tuple[str, str]]:
        """Inline buttons as (label, callback_data)."""
        rows = self.markup.get("inline_keyboard", [])
        return [(b["text"], b.get("callback_data", "")) for row in rows for b in row]

    @property
    def keyboard(self) -> list[dict[str, Any]]:
        """Reply-keyboard buttons, as objects."""
        rows = self.markup.get("keyboard", [])
        return [b if isinstance(b, dict) else {"text": b} for row in rows for b in row]

    @property
    def message_id(self) -> int | None:
        return self.result.get("message_id") if isinstance(self.result, dict) else None

    @property
    def message(self) -> dict[str, Any] | None:
        """The message this call produced (or edited), as the bot saw it in the answer."""
        return self.result if isinstance(self.result, dict) and "chat" in self.result else None


@dataclass
class _Bucket:
    tokens: float
    at: float


@dataclass
class StandIn:
    """The Bot API for one token, with Telegram's limits; see the module's docstring."""

    token: str = TOKEN
    overall_per_second: int = 30
    chat_burst: int = 3
    chat_per_second: float = 1.0
    group_per_minute: int = 20
    calls: list[Call] = field(default_factory=list)
    too_many: collections.Counter[str] = field(default_factory=collections.Counter)
    handed: dict[int, float] = field(default_factory=dict)  # update_id -> first handed
    polls: int = 0  # getUpdates requests received
    _pending: collections.deque[dict[str, Any]] = field(default_factory=collections.deque)
    _arrived: asyncio.Event = field(default_factory=asyncio.Event)
    _update_ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    _message_ids: dict[int, itertools.count] = field(default_factory=dict)
    _messages: dict[tuple[int, int], dict[str, Any]] = field(default_factory=dict)
    _window: collections.deque[float] = field(default_factory=collections.deque)
    _buckets: dict[int, _Bucket] = field(default_factory=dict)
    _groups: dict[int, collections.deque[float]] = field(default_factory=dict)
    _callback_chats: dict[str, int] = field(default_factory=dict)
    _listeners: list[tuple[int | None, asyncio.Event]] = field(default_factory=list)
    _server: Any = None
    closed: bool = False

    # ---------------------------------------------------------------- serving

    def listen(self) -> int:
        """Serve on 127.0.0.1 at a free port; returns the port."""
        # 429s are expected, and a long poll the bot drops at its exit ends as a 500; a real
        # failure of the stand-in is still logged with its traceback by tornado.application.
        logging.getLogger("tornado.access").setLevel(logging.CRITICAL)
        self._server = self.app().listen(0, address="127.0.0.1")
        return next(iter(self._server._sockets.values())).getsockname()[1]

    def stop(self) -> None:
        """Stop listening and release long polls still held."""
        self.closed = True
        self._arrived.set()
        if self._server is not None:
            self._server.stop()

    def app(self) -> tornado.web.Application:
        stand_in = self

        class Api(tornado.web.RequestHandler):
            async def post(self, method: str) -> None:
                if self.request.headers.get("Content-Type", "").startswith("application/json"):
                    raw = json.loads(self.request.body or b"{}")
                    params = {k: v if isinstance(v, str) else json.dumps(v) for k, v in raw.items()}
                else:
                    params = {k: v[0].decode() for k, v in self.request.body_arguments.items()}
                    params.update({k: f"<upload {k}>" for k in self.request.files})
                status, body = await stand_in.answer(method, params)
                self.set_status(status)
                self.set_header("Content-Type", "application/json")
                self.write(json.dumps(body))

            get = post

        return tornado.web.Application([(rf"/bot{self.token}/(\w+)", Api)])

    async def answer(self, method: str, params: dict[str, str]) -> tuple[int, dict[str, Any]]:
        """The HTTP status and JSON body for one call."""
        if method == "getUpdates":
            return 200, {"ok": True, "result": await self._get_updates(params)}
        chat_id = self._chat_of(method, params)
        if counted(method):
            wait = self.take(chat_id)
            if wait is not None:
                self.too_many[method] += 1
                retry = max(1, math.ceil(wait))
                return 429, {"ok": False, "error_code": 429,
                             "description": f"Too Many Requests: retry after {retry}",
                             "parameters": {"retry_after": retry}}  # fmt: skip
        result = self._result(method, params, chat_id)
        call = Call(time.monotonic(), method, chat_id, params, result)
        self.calls.append(call)
        for wanted, event in self._listeners:
            if wanted is None or wanted == chat_id:
                event.set()
        return 200, {"ok": True, "result": result}

    def _chat_of(self, method: str, params: dict[str, str]) -> int | None:
        if method == "answerCallbackQuery":
            return self._callback_chats.get(params.get("callback_query_id", ""))
        chat = params.get("chat_id", "")
        return int(chat) if chat.lstrip("-").isdigit() else None

    # ---------------------------------------------------------------- limits

    def take(self, chat_id: int | None) -> float | None:
        """Accept a counted message now (None), or the seconds until it could be."""
        now = time.monotonic()
        while self._window and now - self._window[0] >= 1.0:
            self._window.popleft()
        wait = 0.0
        if len(self._window) >= self.overall_per_second:
            wait = 1.0 - (now - self._window[0])
        bucket = group = None
        if chat_id is not None:
            bucket = self._buckets.get(chat_id) or _Bucket(self.chat_burst, now)
            bucket.tokens = min(
                self.chat_burst, bucket.tokens + (now - bucket.at) * self.chat_per_second
            )
            bucket.at = now
            self._buckets[chat_id] = bucket
            if bucket.tokens < 1:
                wait = max(wait, (1 - bucket.tokens) / self.chat_per_second)
            if chat_id < 0:
                group = self._groups.setdefault(chat_id, collections.deque())
                while group and now - group[0] >= 60.0:
                    group.popleft()
                if len(group) >= self.group_per_minute:
                    wait = max(wait, 60.0 - (now - group[0]))
        if wait > 0:
            return wait
        self._window.append(now)
        if bucket is not None:
            bucket.tokens -= 1
        if group is not None:
            group.append(now)
        return None

    # ---------------------------------------------------------------- answers

    def _next_message_id(self, chat_id: int) -> int:
        return next(self._message_ids.setdefault(chat_id, itertools.count(1)))

    def _result(self, method: str, params: dict[str, str], chat_id: int | None) -> Any:
        if method == "getMe":
            return BOT_USER
        if chat_id is None:
            return True
        if method == "copyMessage":
            return {"message_id": self._next_message_id(chat_id)}
        if method in ("copyMessages", "forwardMessages"):
            ids = json.loads(params.get("message_ids") or "[]")
            return [{"message_id": self._next_message_id(chat_id)} for _ in ids]
        if method == "sendMediaGroup":
            media = json.loads(params.get("media") or "[]")
            kinds = [m.get("type", "photo") for m in media]
            return [
                self._message(chat_id, "send" + kind.title(), {kind: m.get("media", "")})
                for kind, m in zip(kinds, media, strict=True)
            ]
        if method.startswith(("send", "forward")) and method != "sendChatAction":
            return self._message(chat_id, method, params)
        if method.startswith("edit"):
            return self._edited(chat_id, method, params)
        return True

    def _message(self, chat_id: int, method: str, params: dict[str, str]) -> dict[str, Any]:
        message_id = self._next_message_id(chat_id)
        message: dict[str, Any] = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": _chat(chat_id),
            "from": BOT_USER,
        }
        if "text" in params:
            message["text"] = params["text"]
        if params.get("caption"):
            message["caption"] = params["caption"]
        file_id = params.get(method.removeprefix("send").lower(), "file")
        unique = f"u{chat_id}_{message_id}"
        match method:
            case "sendPhoto":
                message["photo"] = [{"file_id": file_id, "file_unique_id": unique,
                                     "width": 1280, "height": 960}]  # fmt: skip
            case "sendVideo":
                message["video"] = {"file_id": file_id, "file_unique_id": unique,
                                    "width": 640, "height": 360, "duration": 10}  # fmt: skip
            case "sendVoice":
                message["voice"] = {"file_id": file_id, "file_unique_id": unique, "duration": 10}
            case "sendDocument":
                message["document"] = {"file_id": file_id, "file_unique_id": unique}
            case "sendLocation":
                message["location"] = {"latitude": float(params.get("latitude", 0)),
                                       "longitude": float(params.get("longitude", 0))}  # fmt: skip
        markup = json.loads(params.get("reply_markup") or "{}")
        if markup.get("inline_keyboard"):
            message["reply_markup"] = markup
        if chat_id > 0:  # only private chats' messages are kept, for edits to echo
            self._messages[(chat_id, message_id)] = message
        return message

    def _edited(self, chat_id: int, method: str, params: dict[str, str]) -> dict[str, Any] | bool:
        if not params.get("message_id", "").isdigit():
            return True  # an inline message
        message_id = int(params["message_id"])
        known = self._messages.get((chat_id, message_id))
        message = dict(known) if known else {"message_id": message_id, "date": int(time.time()),
                                             "chat": _chat(chat_id), "from": BOT_USER}  # fmt: skip
        message["edit_date"] = int(time.time())
        if method == "editMessageText":
            message["text"] = params.get("text", "")
        if method == "editMessageCaption":
            message["caption"] = params.get("caption", "")
        markup = json.loads(params.get("reply_markup") or "{}")
        message.pop("reply_markup", None)
        if markup.get("inline_keyboard"):
            message["reply_markup"] = markup
        if known:
            self._messages[(chat_id, message_id)] = message
        return message

    # ---------------------------------------------------------------- updates

    def push(self, *contents: dict[str, Any]) -> list[int]:
        """Queue updates (JSON without update_id) for the bot's next getUpdates; their ids."""
        ids = []
        for content in contents:
            update_id = next(self._update_ids)
            self._pending.append({"update_id": update_id, **content})
            ids.append(update_id)
        self._arrived.set()
        return ids

    async def _get_updates(self, params: dict[str, str]) -> list[dict[str, Any]]:
        self.polls += 1
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        deadline = time.monotonic() + min(float(params.get("timeout") or 0), 50.0)
        while True:
            while offset and self._pending and self._pending[0]["update_id"] < offset:
                self._pending.popleft()  # confirmed by the offset
            remaining = deadline - time.monotonic()
            if self._pending or remaining <= 0 or self.closed:
                break
            self._arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), remaining)
        batch = list(itertools.islice(self._pending, max(1, min(limit, 100))))
        now = time.monotonic()
        for update in batch:
            self.handed.setdefault(update["update_id"], now)
        return batch

    def next_message_id(self, chat_id: int) -> int:
        """A message id in the chat's own sequence, for a message the person sends."""
        return self._next_message_id(chat_id)

    def remember_callback(self, query_id: str, chat_id: int) -> None:
        """Which chat a callback query came from: answerCallbackQuery names only the query."""
        self._callback_chats[query_id] = chat_id

    # ---------------------------------------------------------------- waiting for the bot

    async def wait_for(
        self, chat_id: int | None, found: Callable[[Call], bool], start: int, seconds: float
    ) -> Call | None:
        """The first call from index `start` on to `chat_id` (None: any chat) for which
        `found(call)` is true, waiting up to `seconds`; None if none came."""
        event = asyncio.Event()
        listener = (chat_id, event)
        self._listeners.append(listener)
        deadline = time.monotonic() + seconds
        try:
            index = start
            while True:
                event.clear()
                while index < len(self.calls):
                    call = self.calls[index]
                    index += 1
                    if (chat_id is None or call.chat_id == chat_id) and found(call):
                        return call
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self.closed:
                    return None
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(event.wait(), remaining)
        finally:
            self._listeners.remove(listener)


def _chat(chat_id: int) -> dict[str, Any]:
    if chat_id > 0:
        return {"id": chat_id, "type": "private", "first_name": f"r{chat_id}"}
    return {"id": chat_id, "type": "supergroup", "title": f"group {chat_id}"}


# ---------------------------------------------------------------- the bot's side


def bot_env(db: Path, port: int, **extra: str) -> dict[str, str]:
    """The environment of a bot process talking to the stand-in on `port` only."""
    return {**os.environ, "BOT_TOKEN": TOKEN, "BOT_API_URL": f"http://127.0.0.1:{port}/bot",
            "DATABASE_PATH": str(db), "CATALOG_PATH": str(ROOT / "config" / "catalog.toml"),
            "LOG_LEVEL": "WARNING", "NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1",
            **extra}  # fmt: skip


def seed(db: Path, port: int, user_ids: list[int], bot_dir: Path = ROOT) -> None:
    """Create the schema with the bot itself (`python -m bot check`), then add registered
    residents with plain sqlite3, spread over the neighborhoods."""
    env = bot_env(db, port, PYTHONPATH=str(bot_dir))
    subprocess.run([sys.executable, "-m", "bot", "check"], env=env, cwd=bot_dir, check=True,
                   capture_output=True, timeout=120)  # fmt: skip
    now = "2026-01-01T00:00:00+00:00"
    with sqlite3.connect(db) as connection:
        connection.executemany(
            "INSERT INTO residents (user_id, first_name, neighborhood, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?)",
            [(uid, f"r{uid}", NEIGHBORHOODS[i % 4], now, now) for i, uid in enumerate(user_ids)],
        )
