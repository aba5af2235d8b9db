"""`python -m bot` for real: a child process polls a local stand-in Bot API, answers /start,
publishes its command menu, and stops cleanly on SIGTERM."""

import asyncio
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

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


async def test_the_bot_runs_answers_and_stops(tmp_path):
    stand_in = StandIn()
    server = stand_in.app().listen(0, address="127.0.0.1")
    port = next(iter(server._sockets.values())).getsockname()[1]
    env = {
        **os.environ,
        "BOT_TOKEN": TOKEN,
        "BOT_API_URL": f"http://127.0.0.1:{port}/bot",
        "DATABASE_PATH": str(tmp_path / "data" / "bot.db"),
        "CATALOG_PATH": str(ROOT / "config" / "catalog.toml"),
    }
    process = subprocess.Popen(  # noqa: ASYNC220 (started once, then awaited in a thread)
        [sys.executable, "-m", "bot"], cwd=tmp_path, env={**env, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        for _ in range(300):  # bounded: at most 30 s
            if any(method == "sendMessage" for method, _ in stand_in.calls):
                break
            await asyncio.sleep(0.1)
        welcome = [p for m, p in stand_in.calls if m == "sendMessage"]
        assert welcome, stand_in.calls
        assert "خوش آمدید" in welcome[0]["text"]
        assert any(m == "setMyCommands" for m, _ in stand_in.calls)
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.to_thread(process.communicate, timeout=30)
        server.stop()
    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr
    assert TOKEN not in stderr  # the token is never logged
