"""`python -m bot` for real, guarding itself: the webhook refuses oversize and malformed bodies
early, a second bot on the same database refuses to start (while `check` may run beside it),
and a DEBUG log carries neither the token nor what residents wrote."""

import asyncio
import contextlib
import socket
import subprocess
import sys
from pathlib import Path

from bot import texts_fa
from tests.harness import eventually
from tests.test_process import (
    ROOT,
    TOKEN,
    StandIn,
    free_port,
    sent,
    start_bot,
    stop_bot,
)

SECRET = "s3cret_token"
MiB = 1 << 20


def rss_kib(pid: int) -> int:
    """Resident memory of a process, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def post_raw(port: int, headers: dict[str, str], before=(), after=()) -> str:
    """POST over a plain socket: the headers and the `before` pieces of the body, then read the
    status line, then try to stream the `after` pieces (this process never holds the body; a
    server that refused has closed the connection and reads none of it). The status line, or ''
    if none came in 10 s."""
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(f"POST /tg-hook HTTP/1.1\r\nHost: bot\r\n{head}\r\n".encode())
        for piece in before:
            conn.sendall(piece)
        try:
            status = conn.recv(200).decode("latin1").split("\r\n")[0]
        except TimeoutError:
            return ""
        with contextlib.suppress(OSError):
            for piece in after:
                conn.sendall(piece)
        return status


def listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True


async def test_the_webhook_refuses_oversize_and_malformed_bodies_early(tmp_path):
    stand_in = StandIn()
    stand_in.updates = []
    server, api_port = stand_in.listen()
    port = free_port()
    process = start_bot(tmp_path, f"http://127.0.0.1:{api_port}/bot",
                        WEBHOOK_URL="https://bot.example.org/tg-hook", WEBHOOK_PORT=str(port),
                        WEBHOOK_SECRET=SECRET)  # fmt: skip
    secret = {"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"}
    try:
        await eventually(lambda: listening(port))
        before = rss_kib(process.pid)
        ninety = {**secret, "Content-Length": str(90 * MiB)}
        piece = b" " * MiB
        rest = (piece for _ in range(90))  # streamed after the answer, refused unread
        status = await asyncio.to_thread(post_raw, port, ninety, after=rest)
        assert status == "HTTP/1.1 413 Request Entity Too Large"
        # No Content-Length: refused once more than 1 MiB has come (the chunk's last byte).
        chunked = {**secret, "Transfer-Encoding": "chunked"}
        over = [f"{MiB + 1:x}\r\n".encode(), b" " * (MiB + 1)]
        rest = (f"\r\n{MiB:x}\r\n".encode() + piece for _ in range(90))
        status = await asyncio.to_thread(post_raw, port, chunked, over, rest)
        assert status == "HTTP/1.1 413 Request Entity Too Large"
        grown = rss_kib(process.pid) - before
        assert grown < 20 * 1024, f"the bot grew by {grown} KiB"
        for body in (b"{not json", b"[]", b"{}", b"null", "\u06f1".encode()):
            length = {**secret, "Content-Length": str(len(body))}
            status = await asyncio.to_thread(post_raw, port, length, [body])
            assert status == "HTTP/1.1 400 Bad Request", body
        forged = {"Content-Type": "application/json", "Content-Length": str(90 * MiB)}
        status = await asyncio.to_thread(post_raw, port, forged)
        assert status == "HTTP/1.1 403 Forbidden"  # without the secret: not even the size
    finally:
        await stop_bot(process, tmp_path)
        server.stop()


def bot_command(cwd: Path, *args: str, **settings: str) -> subprocess.CompletedProcess:
    env = {"PYTHONPATH": str(ROOT), "BOT_TOKEN": TOKEN, "PATH": "/usr/bin:/bin",
           "CATALOG_PATH": str(ROOT / "config" / "catalog.toml"), **settings}  # fmt: skip
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=60)  # fmt: skip


async def test_a_second_bot_on_the_same_database_refuses_to_start(tmp_path):
    stand_in = StandIn()
    server, port = stand_in.listen()
    api = f"http://127.0.0.1:{port}/bot"
    database = tmp_path / "data" / "bot.db"
    first = start_bot(tmp_path, api)
    other = tmp_path / "second"
    other.mkdir()
    try:
        await eventually(lambda: sent(stand_in))
        second = await asyncio.to_thread(
            bot_command, other, BOT_API_URL=api, DATABASE_PATH=str(database)
        )
        assert second.returncode == 2
        assert second.stderr.strip().splitlines() == [
            texts_fa.DATABASE_IN_USE.format(pid=first.pid, path=database)
        ]
        assert [m for m, _ in stand_in.calls].count("getMe") == 1  # the second never started
        beside = await asyncio.to_thread(bot_command, other, "check", DATABASE_PATH=str(database))
        assert beside.returncode == 0, beside.stderr
        assert f"(read only: a bot, pid {first.pid}, is running on it)" in beside.stdout
    finally:
        await stop_bot(first, tmp_path)
        server.stop()
    after = await asyncio.to_thread(bot_command, other, "check", DATABASE_PATH=str(database))
    assert after.returncode == 0
    assert "read only" not in after.stdout  # the lock went with the first bot


PHONE = "+989121234567"
WRITTEN = "کلید در زیر گلدان کوچه هفتم است"


def registration_and_a_message(stand_in: StandIn) -> None:
    """After /start: the neighborhood button, the resident's own contact, then a text."""
    message = stand_in.updates[0]["message"]
    chat, user = message["chat"], message["from"]
    bot_message = {"message_id": 7, "date": 1766300000, "chat": chat, "text": "?",
                   "from": {"id": 1, "is_bot": True, "first_name": "b"}}  # fmt: skip
    contact = {"phone_number": PHONE, "first_name": user["first_name"], "user_id": user["id"]}
    stand_in.updates += [
        {"update_id": 2, "callback_query": {"id": "9", "from": user, "chat_instance": "1",
                                            "data": "nb:shahr_qaem", "message": bot_message}},
        {"update_id": 3, "message": {**message, "message_id": 3, "contact": contact}},
        {"update_id": 4, "message": {**message, "message_id": 4, "text": WRITTEN}},
    ]  # fmt: skip
    for update in stand_in.updates[2:]:
        update["message"].pop("entities", None)
        if "contact" in update["message"]:
            update["message"].pop("text")


async def test_a_debug_log_carries_neither_the_token_nor_what_residents_wrote(tmp_path):
    stand_in = StandIn()
    registration_and_a_message(stand_in)
    server, port = stand_in.listen()
    process = start_bot(tmp_path, f"http://127.0.0.1:{port}/bot", LOG_LEVEL="DEBUG")
    try:
        await eventually(lambda: any(texts_fa.USE_MENU in m["text"] for m in sent(stand_in)))
    finally:
        log = await stop_bot(process, tmp_path)  # also: no token, no traceback
        server.stop()
    assert any(m["text"] == texts_fa.REGISTERED for m in sent(stand_in))  # the phone was read
    assert " DEBUG telegram.ext.ExtBot: Calling Bot API endpoint `getUpdates`" in log
    assert TOKEN.partition(":")[2] not in log
    for private in (PHONE, PHONE[3:], WRITTEN, "زیر گلدان"):
        assert private not in log


async def test_a_rejected_token_is_not_printed_even_at_debug(tmp_path):
    stand_in = StandIn()
    stand_in.token_rejected = True
    server, port = stand_in.listen()
    try:
        result = await asyncio.to_thread(
            bot_command, tmp_path, BOT_API_URL=f"http://127.0.0.1:{port}/bot", LOG_LEVEL="DEBUG"
        )
    finally:
        server.stop()
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == texts_fa.TOKEN_REJECTED
    assert TOKEN.partition(":")[2] not in result.stderr + result.stdout


async def test_a_webhook_url_the_bot_api_refuses_exits_2_with_one_line(tmp_path):
    stand_in = StandIn()
    stand_in.refused["setWebhook"] = "Bad Request: bad webhook: ports 80, 88, 443 or 8443 only"
    server, port = stand_in.listen()
    try:
        result = await asyncio.to_thread(
            bot_command,
            tmp_path,
            BOT_API_URL=f"http://127.0.0.1:{port}/bot",
            WEBHOOK_URL="https://bot.example.org:9999/hook",
            WEBHOOK_SECRET=SECRET,
        )
    finally:
        server.stop()
    assert result.returncode == 2
    line = result.stderr.strip().splitlines()[-1]
    assert line.startswith(texts_fa.SETTING_INVALID.split("{")[0] + "WEBHOOK_URL")
    assert "WEBHOOK_URL is invalid (the Bot API refused it: " in line
    assert "443 or 8443" in line
    assert "Traceback" not in result.stderr
