"""`python -m bot` for real: a child process against a local stand-in Bot API, by polling and
by webhook, answers /start, publishes its command menu, and stops cleanly on SIGTERM; waits for
a Bot API that is not reachable yet, exits 2 on a rejected token, and can go through a proxy."""

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import tornado.httpserver
import tornado.web

from bot import texts_fa
from tests.harness import eventually

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "123456:PROCESS"


class StandIn:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict]] = []
        self.uris: list[str] = []  # as requested: absolute when the bot came through a proxy
        self.token_rejected = False
        self.refused: dict[str, str] = {}  # method -> a 400's description
        self.updates = [
            {
                "update_id": 1,
                "message": {
                    "message_id": 1,
                    "date": 1766300000,
                    "chat": {"id": 42, "type": "private", "first_name": "مریم"},
                    "from": {"id": 42, "is_bot": False, "first_name": "مریم"},
                    "text": "/start",
                    "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
                },
            }
        ]

    def app(self) -> tornado.web.Application:
        stand_in = self

        class Api(tornado.web.RequestHandler):
            async def post(self, method: str) -> None:
                params = {k: v[0].decode() for k, v in self.request.body_arguments.items()}
                stand_in.calls.append((method, params))
                stand_in.uris.append(self.request.uri or "")
                if stand_in.token_rejected:
                    self.set_status(401)
                    self.write({"ok": False, "error_code": 401, "description": "Unauthorized"})
                    return
                if method in stand_in.refused:
                    self.set_status(400)
                    self.write({"ok": False, "error_code": 400,
                                "description": stand_in.refused[method]})  # fmt: skip
                    return
                if method == "getUpdates":
                    offset = int(params.get("offset") or 0)
                    batch = [u for u in stand_in.updates if u["update_id"] >= offset]
                    if not batch:
                        await asyncio.sleep(0.2)
                    result: object = batch
                elif method == "getMe":
                    result = {"id": 1, "is_bot": True, "first_name": "b", "username": "b_bot"}
                elif method == "sendMessage":
                    chat = {"id": int(params["chat_id"]), "type": "private"}
                    result = {"message_id": 7, "date": 1766300000, "chat": chat, "text": ""}
                else:
                    result = True
                self.write(json.dumps({"ok": True, "result": result}))

        # A forward proxy is asked for the absolute URL: the stand-in serves both.
        return tornado.web.Application([(rf"(?:http://[\w.]+)?/bot{TOKEN}/(\w+)", Api)])

    def listen(self, port: int = 0) -> tuple[tornado.httpserver.HTTPServer, int]:
        server = self.app().listen(port, address="127.0.0.1")
        return server, next(iter(server._sockets.values())).getsockname()[1]


def start_bot(tmp_path: Path, api_url: str, **settings: str) -> subprocess.Popen:
    """`python -m bot` in a child process; what it logs goes to tmp_path/bot.log."""
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "BOT_TOKEN": TOKEN,
        "BOT_API_URL": api_url,
        "DATABASE_PATH": str(tmp_path / "data" / "bot.db"),
        "CATALOG_PATH": str(ROOT / "config" / "catalog.toml"),
        **settings,
    }
    with (tmp_path / "bot.log").open("w") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "bot"], cwd=tmp_path, env=env,
            stdout=subprocess.DEVNULL, stderr=log, text=True,
        )  # fmt: skip


async def stop_bot(process: subprocess.Popen, tmp_path: Path) -> str:
    """SIGTERM; the process must end cleanly without a traceback or the token. Its log."""
    process.send_signal(signal.SIGTERM)
    await asyncio.to_thread(process.wait, timeout=30)
    log = (tmp_path / "bot.log").read_text()
    assert process.returncode == 0, log
    assert "Traceback" not in log
    assert TOKEN not in log  # the token is never logged
    return log


@contextlib.asynccontextmanager
async def bot_process(tmp_path, **settings: str):
    """The bot against a fresh stand-in; yields the stand-in. On leaving: `stop_bot`."""
    stand_in = StandIn()
    server, port = stand_in.listen()
    process = start_bot(tmp_path, f"http://127.0.0.1:{port}/bot", **settings)
    try:
        yield stand_in
    finally:
        try:
            await stop_bot(process, tmp_path)
        finally:
            server.stop()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def sent(stand_in: StandIn) -> list[dict]:
    return [params for method, params in stand_in.calls if method == "sendMessage"]


async def test_polling_answers_and_stops(tmp_path):
    async with bot_process(tmp_path) as stand_in:
        await eventually(lambda: sent(stand_in))
        assert "خوش آمدید" in sent(stand_in)[0]["text"]
        assert any(method == "setMyCommands" for method, _ in stand_in.calls)


async def test_webhook_checks_the_secret_and_answers(tmp_path):
    port = free_port()
    hook = f"http://127.0.0.1:{port}/tg-hook"
    async with bot_process(
        tmp_path,
        WEBHOOK_URL="https://bot.example.org/tg-hook",
        WEBHOOK_PORT=str(port),
        WEBHOOK_SECRET="s3cret_token",
    ) as stand_in:
        await eventually(lambda: any(m == "setWebhook" for m, _ in stand_in.calls))
        registered = next(p for m, p in stand_in.calls if m == "setWebhook")
        assert registered["url"] == "https://bot.example.org/tg-hook"
        assert registered["secret_token"] == "s3cret_token"
        update = json.dumps(stand_in.updates[0])
        headers = {"Content-Type": "application/json"}
        async with httpx.AsyncClient() as client:
            for _ in range(100):  # the listener may take a moment after setWebhook
                try:
                    forged = await client.post(hook, content=update, headers=headers)
                    break
                except httpx.TransportError:
                    await asyncio.sleep(0.1)
            assert forged.status_code == 403  # no secret: refused
            headers["X-Telegram-Bot-Api-Secret-Token"] = "s3cret_token"
            accepted = await client.post(hook, content=update, headers=headers)
            assert accepted.status_code == 200
        await eventually(lambda: len(sent(stand_in)) >= 2)  # welcome, then the neighborhood
        assert sum("خوش آمدید" in p["text"] for p in sent(stand_in)) == 1  # the forged one: none
        assert not any(m == "getUpdates" for m, _ in stand_in.calls)


@pytest.mark.parametrize("mode", ["polling", "webhook"])
async def test_without_a_route_it_keeps_trying_and_starts_when_the_route_appears(tmp_path, mode):
    port = free_port()
    webhook = {"WEBHOOK_URL": "https://bot.example.org/hook", "WEBHOOK_PORT": str(free_port()),
               "WEBHOOK_SECRET": "s3cret"}  # fmt: skip
    process = start_bot(tmp_path, f"http://127.0.0.1:{port}/bot",
                        **(webhook if mode == "webhook" else {}))  # fmt: skip
    log, stand_in, servers = tmp_path / "bot.log", StandIn(), []
    try:
        await eventually(lambda: log.read_text().count("Bot API not reachable") >= 2)
        assert process.poll() is None  # still waiting, not gone
        servers.append(stand_in.listen(port)[0])
        started = "getUpdates" if mode == "polling" else "setWebhook"
        await eventually(lambda: any(method == started for method, _ in stand_in.calls))
    finally:
        text = await stop_bot(process, tmp_path)
        for server in servers:
            server.stop()
    attempts = [line for line in text.splitlines() if "Bot API not reachable" in line]
    assert len(attempts) >= 2  # one line an attempt, no traceback (checked by stop_bot)


async def test_a_rejected_token_exits_2_with_one_line(tmp_path):
    stand_in = StandIn()
    stand_in.token_rejected = True
    server, port = stand_in.listen()
    try:
        process = start_bot(tmp_path, f"http://127.0.0.1:{port}/bot")
        await asyncio.to_thread(process.wait, timeout=30)
    finally:
        server.stop()
    log = (tmp_path / "bot.log").read_text()
    assert process.returncode == 2
    assert log.strip().splitlines()[-1] == texts_fa.TOKEN_REJECTED
    assert "Traceback" not in log
    assert TOKEN not in log


async def test_the_bot_api_through_a_proxy(tmp_path):
    stand_in = StandIn()  # plays the proxy: it is asked for Telegram's absolute URLs
    server, port = stand_in.listen()
    process = start_bot(tmp_path, "http://api.telegram.invalid/bot",
                        PROXY_URL=f"http://127.0.0.1:{port}")  # fmt: skip
    try:
        await eventually(lambda: sent(stand_in))
    finally:
        await stop_bot(process, tmp_path)
        server.stop()
    assert "خوش آمدید" in sent(stand_in)[0]["text"]
    assert all(uri.startswith("http://api.telegram.invalid/bot") for uri in stand_in.uris)
