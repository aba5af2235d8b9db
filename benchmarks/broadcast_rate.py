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

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.standin import StandIn, bot_env, seed  # noqa: E402

LIMIT_PER_SECOND = 30


# ---------------------------------------------------------------- the bot side (child process)


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


def child(db: Path, port: int, announce: bool) -> subprocess.Popen:
    args = [sys.executable, __file__, "--child", "--announce" if announce else "--resume"]
    env = bot_env(db, port, ADMIN_IDS="1")  # the announcement's author: a super-admin
    return subprocess.Popen(args, env=env, cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)  # fmt: skip


async def wait(process: subprocess.Popen) -> None:
    await asyncio.to_thread(process.wait)
    if process.returncode not in (0, -signal.SIGKILL):
        raise RuntimeError(process.stderr.read())


async def run(recipients: int, kill_after: float | None) -> dict[str, float]:
    # Telegram's limits as this benchmark has always measured them: one message a second to
    # a chat, no burst.
    stand_in = StandIn(overall_per_second=LIMIT_PER_SECOND, chat_burst=1)
    port = stand_in.listen()
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "bench.db"
        seed(db, port, [100000 + i for i in range(recipients)])
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
    stand_in.stop()
    expected = {100000 + i for i in range(recipients)}
    copies = [call for call in stand_in.calls if call.method == "sendMessage"]
    accepted = collections.Counter(call.chat_id for call in copies)
    got = set(accepted)
    sending_time = copies[-1].at - copies[0].at if copies else 0
    return {
        "recipients": recipients,
        "accepted": len(copies),
        "lost": len(expected - got),
        "duplicates": sum(n - 1 for n in accepted.values() if n > 1),
        "in_flight_at_kill": in_flight_at_kill,
        "429s": sum(stand_in.too_many.values()),
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
