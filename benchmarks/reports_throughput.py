"""The whole report flow under load, beside bare echo bots, and queries on 200,000 tickets.

Phase 1 pushes N simulated residents through onboarding and the full report flow on the
tests' harness (the real Application, persistence, SQLite, the delivery worker sending every
owed message to an in-memory Bot API). Beside it, on the same in-memory Bot API, bare
python-telegram-bot echo bots answer as many text updates: one reply; one reply carrying ten
inline buttons (the report flow's category keyboard); and two replies (the report flow makes
about two Bot API calls an update). The four run interleaved, a slice of residents at a time,
so that a slower or faster moment of the machine weighs on all alike. Each is timed per update
(parsing, process_update, sending what it owes). Phase 2 seeds a database with 200,000 tickets
and times «my reports» and the facilitators' queue, through the bot and at the storage layer.

    python benchmarks/reports_throughput.py [--residents 2000] [--tickets 200000]
"""

import argparse
import asyncio
import itertools
import os
import random
import resource
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import telegram  # noqa: E402
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update  # noqa: E402
from telegram.ext import (  # noqa: E402
    Application,
    ApplicationBuilder,
    MessageHandler,
    filters,
)

from bot import texts_fa  # noqa: E402
from bot.flood_control import FloodControl  # noqa: E402
from tests.flows import PHOTO, register  # noqa: E402
from tests.harness import FakeBotAPI, Harness, Person  # noqa: E402

NEIGHBORHOODS = ["shahr_qaem", "esmaeilabad", "aminabad", "darvazeh_rey"]
CATEGORIES = ["waste", "streets", "water"]
SLICE = 50  # residents a slice


class Timed(Harness):
    """The harness, timing each update it feeds (the update and what it owes being sent)."""

    latencies: list[float]
    api_calls = 0
    statements = 0

    async def feed(self, data):  # type: ignore[override]
        # Residents write at once: of the calls made meanwhile, those to this update's chat.
        chat = (data.get("message") or data.get("callback_query", {}).get("message"))["chat"]
        before = len(self.api.calls)
        started = time.perf_counter()
        await super().feed(data)
        self.latencies.append(time.perf_counter() - started)
        return [call for call in self.api.calls[before:] if call.chat_id == chat["id"]]

    def forget_calls(self) -> None:
        """Count the calls made and drop them: the memory figure is the bot's."""
        self.api_calls += len(self.api.calls)
        self.api.calls.clear()

    async def count_statements(self) -> None:
        def counted(_: str) -> None:
            self.statements += 1

        await self.app.storage._db.set_trace_callback(counted)


def figures(latencies: list[float], seconds: float) -> dict[str, float]:
    ordered = sorted(latencies)

    def pct(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000

    return {
        "updates": len(ordered),
        "per_second": len(ordered) / seconds,
        "mean_ms": statistics.fmean(ordered) * 1000,
        "p50_ms": pct(0.50),
        "p95_ms": pct(0.95),
        "p99_ms": pct(0.99),
    }


async def report_flow(bot: Timed, person: Person, index: int) -> None:
    """One resident's report: category, text, maybe a photo, maybe a pin, confirm."""
    calls = await bot.send(person, texts_fa.MENU_REPORT)
    await bot.press(person, f"rp:c:{CATEGORIES[index % 3]}", on=calls[-1])
    await bot.send(person, f"مشکل شمارهٔ {index} در کوچهٔ ما هنوز حل نشده است")
    if index % 3 == 0:
        await bot.send_raw(person, photo=PHOTO)
    await bot.send(person, texts_fa.BUTTON_CONTINUE)
    if index % 3 == 1:
        location = {"latitude": 34.5 + index * 0.01, "longitude": 50.8}
        calls = await bot.send_raw(person, location=location)
    else:
        calls = await bot.send(person, texts_fa.BUTTON_SKIP)
    calls = await bot.press(person, "rp:ok", on=calls[-1])
    offer = calls[-1]
    if "گزارش مشابهی" in offer.text:  # same category and neighborhood: file it anyway
        await bot.press(person, offer.data_for("مشکل دیگری"), on=offer)


async def residents_walk(bot: Timed, first: int, last: int, concurrency: int) -> None:
    """Residents first..last-1 register and report, `concurrency` of them at once."""

    async def resident(i: int) -> None:
        person = Person(10_000_000 + i, f"ساکن {i}")
        await register(bot, person, NEIGHBORHOODS[i % 4])
        await report_flow(bot, person, i)

    for wave in range(first, last, concurrency):
        await asyncio.gather(*(resident(i) for i in range(wave, min(wave + concurrency, last))))
        bot.forget_calls()


class Echo:
    """A bare echo bot on the in-memory Bot API: `replies` answers to each text, with the
    category keyboard if `keyboard`; up to `concurrency` updates handled at once."""

    def __init__(self, replies: int, keyboard: bool, concurrency: int) -> None:
        self.api = FakeBotAPI()
        self.app: Application = (
            ApplicationBuilder()
            .token("123456:ECHO")
            .request(self.api)
            .updater(None)
            .concurrent_updates(concurrency)
            .rate_limiter(FloodControl(None))  # as the flow's harness: no pacing
            .build()
        )
        markup = InlineKeyboardMarkup(
            [[InlineKeyboardButton(f"دستهٔ شمارهٔ {i}", callback_data=f"rp:c:c{i}")]
             for i in range(10)]
        ) if keyboard else None  # fmt: skip

        async def echo(update: Update, context) -> None:
            for _ in range(replies):
                await update.message.reply_text(update.message.text, reply_markup=markup)

        self.app.add_handler(MessageHandler(filters.TEXT, echo))
        self.ids = itertools.count(1)
        self.latencies: list[float] = []
        self.seconds = 0.0

    async def run(self, updates: int, senders: int) -> None:
        """`updates` texts from `senders` people writing at once, each one after another."""

        async def sender(person: int, count: int) -> None:
            user = {"id": 20_000_000 + person, "is_bot": False, "first_name": "ساکن"}
            for i in range(count):
                data = {
                    "update_id": next(self.ids),
                    "message": {
                        "message_id": next(self.ids),
                        "date": 1766300000,
                        "chat": {"id": user["id"], "type": "private", "first_name": "ساکن"},
                        "from": user,
                        "text": f"سلام شمارهٔ {i}",
                    },
                }
                t0 = time.perf_counter()  # parsing included, as in the harness's feed()
                update = Update.de_json(data, self.app.bot)
                await self.app.update_processor.process_update(
                    update, self.app.process_update(update)
                )
                self.latencies.append(time.perf_counter() - t0)

        started = time.perf_counter()
        share, extra = divmod(updates, senders)
        await asyncio.gather(*(sender(p, share + (p < extra)) for p in range(senders)))
        self.seconds += time.perf_counter() - started
        self.api.calls.clear()


async def flow_phase(
    folder: Path, residents: int, concurrency: int
) -> tuple[dict, dict[str, dict], float]:
    """The report flow, `concurrency` residents at a time, with the echo bots run slice by
    slice beside it (as many people writing at once)."""
    bot = Timed(
        folder / f"flow{concurrency}.db", agency_chats={"municipality": -100111, "water": -100222}
    )
    bot.latencies = []
    echoes = {
        "echo bot": Echo(1, keyboard=False, concurrency=concurrency),
        "echo + 10 buttons": Echo(1, keyboard=True, concurrency=concurrency),
        "echo, two replies": Echo(2, keyboard=False, concurrency=concurrency),
    }
    await bot.start()
    await bot.count_statements()
    for echo in echoes.values():
        await echo.app.initialize()

    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    seconds = 0.0
    step = max(concurrency, SLICE)
    for first in range(0, residents, step):
        done = len(bot.latencies)
        started = time.perf_counter()
        await residents_walk(bot, first, min(first + step, residents), concurrency)
        seconds += time.perf_counter() - started
        for echo in echoes.values():
            await echo.run(len(bot.latencies) - done, senders=concurrency)
    # Peak resident memory (not tracemalloc: it would slow every allocation of the timed run).
    rss_growth_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) / 1024
    result = figures(bot.latencies, seconds)
    result["api_calls"] = bot.api_calls
    result["statements"] = bot.statements
    await bot.stop()
    baselines = {}
    for name, echo in echoes.items():
        await echo.app.shutdown()
        baselines[name] = figures(echo.latencies, echo.seconds)
    return result, baselines, rss_growth_mb


async def network_phase(folder: Path, residents: int, latency: float) -> dict[int, dict]:
    """The report flow against a Bot API that takes `latency` seconds a call, one resident
    at a time and many at once: what handling chats concurrently is for."""
    results = {}
    for concurrency in (1, 50):
        bot = Timed(folder / f"net{concurrency}.db", agency_chats={"municipality": -100111})
        bot.latencies = []
        await bot.start()
        bot.api.latency = latency

        started = time.perf_counter()
        await residents_walk(bot, 0, residents, concurrency)
        results[concurrency] = figures(bot.latencies, time.perf_counter() - started)
        await bot.stop()
    return results


def seed(db: Path, tickets: int) -> tuple[list[int], int]:
    """Residents and tickets straight into the bot's schema; returns residents with ~10."""
    rng = random.Random(1)
    residents = tickets // 10
    statuses = ["new"] * 20 + ["acknowledged"] * 20 + ["in_progress"] * 20 + ["resolved"] * 36
    statuses += ["review", "queued", "closed", "reopened"]
    with sqlite3.connect(db) as connection:
        connection.executemany(
            "INSERT INTO residents (user_id, first_name, neighborhood, created_at, updated_at)"
            " VALUES (?, 'r', ?, '2025-01-01T00:00:00+00:00', '2025-01-01T00:00:00+00:00')",
            [(30_000_000 + r, NEIGHBORHOODS[r % 4]) for r in range(residents)],
        )
        codes = rng.sample(range(100000, 1000000), tickets)
        rows = []
        for t in range(tickets):
            resident = 30_000_000 + rng.randrange(residents)
            at = f"2025-{1 + t * 12 // tickets:02d}-{1 + t % 28:02d}T10:00:00+00:00"
            status = rng.choice(statuses)
            neighborhood = NEIGHBORHOODS[resident % 4]
            rows.append((str(codes[t]), resident, CATEGORIES[t % 3], neighborhood,
                         "municipality", status, "توضیح", at, at, at))  # fmt: skip
        connection.executemany(
            "INSERT INTO tickets (code, resident_id, category, neighborhood, agency, status,"
            " description, created_at, updated_at, routed_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
            rows,
        )
        connection.execute("ANALYZE")
        (queued,) = connection.execute(
            "SELECT COUNT(*) FROM tickets WHERE status IN ('review', 'queued')"
        ).fetchone()
    return [30_000_000 + r for r in rng.sample(range(residents), 200)], queued


async def scale_phase(folder: Path, tickets: int) -> dict:
    db = folder / "scale.db"
    bot = Timed(db)
    await bot.start()
    await bot.stop()  # the schema exists now
    people, queued = seed(db, tickets)
    facilitator = Person(40_000_000, "تسهیل‌گر")
    bot.latencies = []
    await bot.start()
    await bot.app.storage.grant_role(facilitator.id, "facilitator", "shahr_qaem", None)
    storage = bot.app.storage
    results = {}
    bot.latencies = []
    for user_id in people:
        await bot.send(Person(user_id), texts_fa.MENU_MY_REPORTS)
    results["my reports (bot)"] = figures(bot.latencies, 1)
    bot.latencies = []
    for _ in range(200):
        await bot.send(facilitator, "/queue")
    results["/queue (bot)"] = figures(bot.latencies, 1)
    for name, call in (
        ("tickets_of_resident", lambda u: storage.tickets_of_resident(u, 5, 0)),
        ("queue", lambda u: storage.queue(["shahr_qaem"], 11, 0)),
    ):
        latencies = []
        for user_id in people:
            t0 = time.perf_counter()
            await call(user_id)
            latencies.append(time.perf_counter() - t0)
        results[f"{name} (storage)"] = figures(latencies, 1)
    await bot.stop()
    results["_size_mb"] = db.stat().st_size / 2**20
    results["_queued"] = queued
    return results


def line(name: str, f: dict) -> str:
    return (f"{name:<26} {f['per_second']:>8.0f}/s  mean {f['mean_ms']:6.2f} ms  "
            f"p50 {f['p50_ms']:6.2f}  p95 {f['p95_ms']:6.2f}  p99 {f['p99_ms']:6.2f}")  # fmt: skip


def flow_report(title: str, flow: dict, baselines: dict[str, dict], peak_mb: float) -> None:
    echo, two = baselines["echo bot"], baselines["echo, two replies"]
    print(f"\n== {title}")
    print(line("full flow, per update", flow))
    for name, f in baselines.items():
        print(line(name, f))
    # Cost per update: wall time over updates (1 / throughput); the same as the mean latency
    # when updates come one at a time, less when waiting overlaps with other work.
    cost = 1000 / flow["per_second"]
    for name, base in (("echo", echo), ("an echo making two Bot API calls", two)):
        print(f"cost per update vs {name}: {cost / (1000 / base['per_second']):.2f}x "
              f"(p50 latency {flow['p50_ms'] / base['p50_ms']:.2f}x)"
              + (" (target <= 3x)" if base is echo else ""))  # fmt: skip
    updates = flow["updates"]
    print(f"per update, the flow makes {flow['api_calls'] / updates:.2f} Bot API calls "
          f"and runs {flow['statements'] / updates:.2f} SQL statements; peak memory: "
          f"process max RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB, "
          f"{peak_mb:.0f} MB grown during the flow")  # fmt: skip


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--residents", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--tickets", type=int, default=200_000)
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, python-telegram-bot {telegram.__version__}, "
          f"{os.cpu_count()} cores")  # fmt: skip
    with tempfile.TemporaryDirectory() as folder:
        for concurrency in (1, args.concurrency):
            flow, baselines, peak_mb = await flow_phase(Path(folder), args.residents, concurrency)
            who = "one at a time" if concurrency == 1 else f"{concurrency} writing at once"
            flow_report(f"{args.residents} residents ({who}): onboarding + full report flow",
                        flow, baselines, peak_mb)  # fmt: skip
        latency_ms = 50
        network = await network_phase(Path(folder), 200, latency_ms / 1000)
        print(f"\n== 200 residents, a Bot API answering in {latency_ms} ms (as over a network)")
        print(line("one at a time", network[1]))
        print(line("50 writing at once", network[50]))
        scale = await scale_phase(Path(folder), args.tickets)
        print(f"\n== {args.tickets} tickets ({scale.pop('_queued')} waiting for facilitators), "
              f"database {scale.pop('_size_mb'):.0f} MB; target p95 < 50 ms")  # fmt: skip
        for name, f in scale.items():
            print(line(name, f))


if __name__ == "__main__":
    asyncio.run(main())
