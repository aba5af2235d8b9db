"""Broadcast delivery against a local stand-in Bot API that enforces Telegram's limits.

The stand-in (tornado, on 127.0.0.1) accepts at most 30 messages in any one second overall and
one message a second per chat, answering 429 with `retry_after` otherwise, and records every
message it accepted. The real bot (its delivery worker, python-telegram-bot's HTTP stack and
AIORateLimiter) sends one announcement to N residents.

Run 1 goes undisturbed. Run 2 runs the bot in a child process, kills it with SIGKILL at a
random moment, starts it again, and lets it finish. Printed: achieved rate as a fraction of the
limit, 429s received, losses (must be 0) and duplicates (0 without a kill; with one, at most
the sends in flight at the kill: the worker's concurrency).

    python benchmarks/broadcast_rate.py [--recipients 3000] [--seed 7]
"""

import argparse
import asyncio
import collections
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import tornado.web

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

LIMIT_PER_SECOND = 30
TOKEN = "123456:BENCH"
BOT_USER = {"id": 1, "is_bot": True, "first_name": "bench", "username": "bench_bot",
            "can_join_groups": True, "can_read_all_group_messages": False,
            "supports_inline_queries": False}  # fmt: skip


class StandIn:
    """The Bot API with Telegram's limits, counting what it accepted."""

    def __init__(self) -> None:
        self.window: collections.deque[float] = collections.deque()
        self.last_by_chat: dict[int, float] = {}
        self.accepted: collections.Counter[int] = collections.Counter()
        self.first_at: float | None = None
        self.last_at = 0.0
        self.too_many = 0

    def take(self, chat_id: int) -> float | None:
        """Accept a message now, or return the seconds to wait (a 429)."""
        now = time.monotonic()
        while self.window and now - self.window[0] >= 1.0:
            self.window.popleft()
        if len(self.window) >= LIMIT_PER_SECOND:
            return 1.0 - (now - self.window[0])
        last = self.last_by_chat.get(chat_id)
        if last is not None and now - last < 1.0:
            return 1.0 - (now - last)
        self.window.append(now)
        self.last_by_chat[chat_id] = now
        self.accepted[chat_id] += 1
        self.first_at = self.first_at or now
        self.last_at = now
        return None


def make_app(stand_in: StandIn) -> tornado.web.Application:
    message_ids = iter(range(1, 10**9))

    class Api(tornado.web.RequestHandler):
        def post(self, method: str) -> None:
            params = {k: v[0].decode() for k, v in self.request.body_arguments.items()}
            if method != "sendMessage":
                self._ok(BOT_USER if method == "getMe" else True)
                return
            chat_id = int(params["chat_id"])
            wait = stand_in.take(chat_id)
            if wait is not None:
                stand_in.too_many += 1
                retry = max(1, round(wait))
                self.set_status(429)
                self.write({"ok": False, "error_code": 429,
                                   "description": f"Too Many Requests: retry after {retry}",
                                   "parameters": {"retry_after": retry}})  # fmt: skip
                return
            message = {
                "message_id": next(message_ids),
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private"},
                "text": params.get("text"),
            }
            self._ok(message)

        def _ok(self, result: object) -> None:
            self.write({"ok": True, "result": result})

    return tornado.web.Application([(rf"/bot{TOKEN}/(\w+)", Api)])


# ---------------------------------------------------------------- the bot side (child process)


def bot_env(db: Path, port: int) -> dict[str, str]:
    return {**os.environ, "BOT_TOKEN": TOKEN, "BOT_API_URL": f"http://127.0.0.1:{port}/bot",
            "DATABASE_PATH": str(db), "CATALOG_PATH": str(ROOT / "config" / "catalog.toml"),
            "LOG_LEVEL": "WARNING", "ADMIN_IDS": "1"}  # fmt: skip  # 1: the announcement's author


async def send_everything(announce: bool) -> None:
    """In the child: open the bot on the database, start a broadcast if asked, run the worker
    until nothing is owed."""
    from bot import broadcasts
    from bot.app import build_application
    from config.catalog import load_catalog
    from config.settings import Settings

    settings = Settings(_env_file=None, delivery_worker=True)
    app = build_application(settings, load_catalog(settings.catalog_path))
    async with app:
        await app.start()  # starts the delivery worker (and puts any in-flight row back)
        if announce:
            broadcast = await app.storage.create_broadcast(
                1, {"all": True}, "message", "اطلاعیهٔ آزمایشی", None, None
            )
            await broadcasts.start(app, broadcast)
        while True:
            counts = await app.storage.outbox_counts()
            if not counts.get("pending") and not counts.get("sending"):
                break
            await asyncio.sleep(0.2)
        await app.stop()
    print(json.dumps(await_counts(settings.database_path)))


def await_counts(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as connection:
        return dict(connection.execute("SELECT state, COUNT(*) FROM outbox GROUP BY state"))


# ---------------------------------------------------------------- the parent


def seed(db: Path, port: int, recipients: int) -> None:
    """Create the schema with the bot itself, then residents with plain sqlite3."""
    subprocess.run([sys.executable, "-m", "bot", "check"], env=bot_env(db, port), cwd=ROOT,
                   check=True, capture_output=True)  # fmt: skip
    now = "2026-01-01T00:00:00+00:00"
    neighborhoods = ["shahr_qaem", "esmaeilabad", "aminabad", "darvazeh_rey"]
    with sqlite3.connect(db) as connection:
        connection.executemany(
            "INSERT INTO residents (user_id, first_name, neighborhood, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?)",
            [(100000 + i, f"r{i}", neighborhoods[i % 4], now, now) for i in range(recipients)],
        )


def child(db: Path, port: int, announce: bool) -> subprocess.Popen:
    args = [sys.executable, __file__, "--child", "--announce" if announce else "--resume"]
    return subprocess.Popen(args, env=bot_env(db, port), cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)  # fmt: skip


async def wait(process: subprocess.Popen) -> None:
    await asyncio.to_thread(process.wait)
    if process.returncode not in (0, -signal.SIGKILL):
        raise RuntimeError(process.stderr.read())


async def run(recipients: int, kill_after: float | None) -> dict[str, float]:
    stand_in = StandIn()
    server = make_app(stand_in).listen(0, address="127.0.0.1")
    port = next(iter(server._sockets.values())).getsockname()[1]
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "bench.db"
        seed(db, port, recipients)
        started = time.monotonic()
        process = child(db, port, announce=True)
        in_flight_at_kill = 0
        if kill_after is not None:
            await asyncio.sleep(kill_after)
            with sqlite3.connect(db) as connection:  # what the worker had claimed
                (in_flight_at_kill,) = connection.execute(
                    "SELECT COUNT(*) FROM outbox WHERE state = 'sending'"
                ).fetchone()
            process.send_signal(signal.SIGKILL)
            await wait(process)
            process = child(db, port, announce=False)
        await wait(process)
        elapsed = time.monotonic() - started
        final = await_counts(db)
    server.stop()
    expected = {100000 + i for i in range(recipients)}
    got = set(stand_in.accepted)
    sending_time = (stand_in.last_at - stand_in.first_at) if stand_in.first_at else 0
    return {
        "recipients": recipients,
        "accepted": sum(stand_in.accepted.values()),
        "lost": len(expected - got),
        "duplicates": sum(n - 1 for n in stand_in.accepted.values() if n > 1),
        "in_flight_at_kill": in_flight_at_kill,
        "429s": stand_in.too_many,
        "rate": (len(got) - 1) / sending_time if sending_time else 0,
        "wall_seconds": elapsed,
        "outbox": final,
    }


def report(name: str, figures: dict) -> None:
    print(f"\n== {name}")
    print(f"recipients            {figures['recipients']}")
    fraction = figures["rate"] / LIMIT_PER_SECOND
    print(f"achieved rate         {figures['rate']:.2f} msg/s = {fraction:.3f} of the limit")
    print(f"429s received         {figures['429s']}")
    print(f"lost                  {figures['lost']}")
    print(f"duplicates            {figures['duplicates']}"
          f" (in flight at the kill: {figures['in_flight_at_kill']})")  # fmt: skip
    print(f"wall time             {figures['wall_seconds']:.1f} s")
    print(f"outbox at the end     {figures['outbox']}")


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--recipients", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--child", action="store_true")
    parser.add_argument("--announce", action="store_true")
    parser.add_argument("--resume", action="store_true")
    args = parser.parse_args()
    if args.child:
        await send_everything(announce=args.announce)
        return
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, limit {LIMIT_PER_SECOND}/s")
    report("undisturbed", await run(args.recipients, None))
    rng = random.Random(args.seed)
    expected_seconds = args.recipients / LIMIT_PER_SECOND
    kill_after = rng.uniform(0.15, 0.85) * expected_seconds
    print(f"\n(killing the bot with SIGKILL after {kill_after:.1f} s)")
    report("killed and restarted", await run(args.recipients, kill_after))


if __name__ == "__main__":
    asyncio.run(main())
