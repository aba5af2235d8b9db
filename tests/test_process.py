"""`python -m bot` for real: a child process against a local stand-in Bot API, by polling and
by webhook, answers /start, publishes its command menu, and stops cleanly on SIGTERM."""

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
import tornado.web

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "123456:PROCESS"


class StandIn:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict]] = []
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

        return tornado.web.Application([(rf"/bot{TOKEN}/(\w+)", Api)])


@contextlib.asynccontextmanager
async def bot_process(tmp_path, **settings: str):
    """`python -m bot` in a child process against a fresh stand-in; yields the stand-in.
    On leaving: SIGTERM, and the process must end cleanly without leaking the token."""
    stand_in = StandIn()
    server = stand_in.app().listen(0, address="127.0.0.1")
    port = next(iter(server._sockets.values())).getsockname()[1]
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "BOT_TOKEN": TOKEN,
        "BOT_API_URL": f"http://127.0.0.1:{port}/bot",
        "DATABASE_PATH": str(tmp_path / "data" / "bot.db"),
        "CATALOG_PATH": str(ROOT / "config" / "catalog.toml"),
        **settings,
    }
    process = subprocess.Popen(  # noqa: ASYNC220 (started once, then awaited in a thread)
        [sys.executable, "-m", "bot"], cwd=tmp_path, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        yield stand_in
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.to_thread(process.communicate, timeout=30)
        server.stop()
    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr
    assert TOKEN not in stderr  # the token is never logged


async def until(condition, seconds: float = 30) -> None:
    """Wait (bounded) for something the child process does."""
    for _ in range(int(seconds * 10)):
        if condition():
            return
        await asyncio.sleep(0.1)
    raise AssertionError("timed out")


def sent(stand_in: StandIn) -> list[dict]:
    return [params for method, params in stand_in.calls if method == "sendMessage"]


async def test_polling_answers_and_stops(tmp_path):
    async with bot_process(tmp_path) as stand_in:
        await until(lambda: sent(stand_in))
        assert "خوش آمدید" in sent(stand_in)[0]["text"]
        assert any(method == "setMyCommands" for method, _ in stand_in.calls)


async def test_webhook_checks_the_secret_and_answers(tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    hook = f"http://127.0.0.1:{port}/tg-hook"
    async with bot_process(
        tmp_path,
        WEBHOOK_URL="https://bot.example.org/tg-hook",
        WEBHOOK_PORT=str(port),
        WEBHOOK_SECRET="s3cret_token",
    ) as stand_in:
        await until(lambda: any(m == "setWebhook" for m, _ in stand_in.calls))
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
        await until(lambda: len(sent(stand_in)) >= 2)  # welcome, then the neighborhood question
        assert sum("خوش آمدید" in p["text"] for p in sent(stand_in)) == 1  # the forged one: none
        assert not any(m == "getUpdates" for m, _ in stand_in.calls)
