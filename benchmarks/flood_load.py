"""The bot as a real process (`python -m bot`, polling) under floods and load, against the
stand-in Bot API of `standin.py`, which keeps Telegram's limits (30 messages a second overall;
per chat a burst of 3, then 1 a second; 20 a minute per group) and answers 429 beyond them.

Simulated people write to the bot through getUpdates and read its answers from what the
stand-in received, pressing buttons by their callback_data as a person would. The bot is a
black box: the same script measures any version of it (`--bot-dir` runs another tree).

(a) A super-admin walks /broadcast (everyone → text → send now) to 3,000 residents; while it
    sends, 50 residents each walk the whole report flow at a human pace (category, text, a
    two-photo album, continue, an address, confirm). Printed: replies lost, the residents'
    reply latency, the announcement's rate as a share of 30/s, 429s by method.
(b) One resident sends 300 messages at once while 10 others send /help now and then. Printed:
    the others' reply latency, the replies the flooder got, 429s.
(c) An announcement to 100,000 residents: time to the first copy, the rate over the whole run
    and per minute, the bot's peak memory. Long: runs only when asked.

    python benchmarks/flood_load.py [--scenario ab|a|b|c] [--recipients N] [--residents 50]
        [--flood 300] [--others 10] [--helps 5] [--seed 7] [--bot-dir PATH] [--keep DIR]

`--bot-dir` runs the bot from another tree (e.g. `git archive <commit> | tar -x -C DIR`), to
compare versions; `--keep` keeps each scenario's database and the bot's log.

Latency is measured from the moment the stand-in hands an update to the bot in a getUpdates
answer to the first counted call (send…, edit…, copy…, forward…) or answerCallbackQuery the
stand-in accepts for that chat; announcement copies are not replies.
"""

import argparse
import asyncio
import atexit
import contextlib
import importlib
import math
import os
import random
import resource
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.standin import Call, StandIn, bot_env, counted, seed  # noqa: E402

LIMIT = 30  # messages a second, Telegram's overall limit
STEP_SECONDS = 30.0  # an answer later than this is lost
ADMIN = 900001
RESIDENTS_FROM = 100000
ANNOUNCEMENT = "جلسهٔ شورای محله پنجشنبه ساعت ۱۸ در مسجد جامع برگزار می‌شود. همه دعوتید."
MARK = "جلسهٔ شورای محله"  # how a copy of the announcement is recognised
COPY_METHODS = ("copyMessage", "copyMessages", "forwardMessage", "forwardMessages")
DESCRIPTION = "زباله‌ها سه روز است جمع نشده و بوی بد می‌دهد"
ADDRESS = "کوچهٔ ۱۲، روبه‌روی مسجد"


def fragment(text: str) -> str:
    """The part of a bot sentence before its first placeholder or line break."""
    return text.split("{")[0].split("\n")[0]


def is_copy(call: Call) -> bool:
    return call.method in COPY_METHODS or MARK in call.text


def is_reply(call: Call) -> bool:
    """A call a person sees as the bot's answer (not an announcement copy)."""
    return (counted(call.method) or call.method == "answerCallbackQuery") and not is_copy(call)


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile; NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def table(title: str, rows: list[tuple[str, object]]) -> None:
    print(f"\n== {title}")
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"  {name:<{width}}  {value}")


def ms(seconds: float) -> str:
    return "n/a" if math.isnan(seconds) else f"{seconds * 1000:.0f} ms"


# ---------------------------------------------------------------- the bot process


@dataclass
class BotProcess:
    process: subprocess.Popen
    log: Path
    peak_kb: int = 0

    def sample_memory(self) -> None:
        try:
            status = Path(f"/proc/{self.process.pid}/status").read_text()
        except OSError:
            return
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                self.peak_kb = max(self.peak_kb, int(line.split()[1]))

    def problems(self) -> tuple[int, int]:
        """Lines logged at ERROR and tracebacks, from the bot's log."""
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return text.count(" ERROR "), text.count("Traceback")

    def tail(self, lines: int = 30) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


def _kill(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.kill()


@contextlib.asynccontextmanager
async def running_bot(db: Path, port: int, bot_dir: Path) -> AsyncIterator[BotProcess]:
    """`python -m bot` polling the stand-in; on leaving, SIGTERM (SIGKILL after 20 s)."""
    env = bot_env(db, port, ADMIN_IDS=str(ADMIN), PYTHONPATH=str(bot_dir))
    log = db.with_suffix(".log")
    with log.open("w") as out:
        process = subprocess.Popen(  # noqa: ASYNC220 (started once, awaited in a thread)
            [sys.executable, "-m", "bot"],
            cwd=bot_dir,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    atexit.register(_kill, process)  # even if this script dies on the way
    bot = BotProcess(process, log)

    async def sample() -> None:
        while process.poll() is None:
            bot.sample_memory()
            await asyncio.sleep(1.0)

    sampler = asyncio.create_task(sample())
    try:
        yield bot
    finally:
        sampler.cancel()
        bot.sample_memory()
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        try:
            await asyncio.to_thread(process.wait, 20)
        except subprocess.TimeoutExpired:
            process.kill()
            await asyncio.to_thread(process.wait, 10)
        if not bot.peak_kb:  # /proc unreadable: the children's high-water mark instead
            bot.peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss


async def until_polling(api: StandIn, bot: BotProcess) -> None:
    for _ in range(600):
        if api.polls:
            return
        if bot.process.poll() is not None:
            break
        await asyncio.sleep(0.1)
    raise RuntimeError(f"the bot did not start polling:\n{bot.tail()}")


# ---------------------------------------------------------------- people


@dataclass
class Person:
    """Someone writing to the bot in their private chat, one step at a time."""

    api: StandIn
    id: int
    texts: ModuleType
    latencies: list[float] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)
    first_at: float = 0.0  # when their first step was sent
    last_at: float = 0.0  # when their last step ended

    @property
    def user(self) -> dict[str, Any]:
        return {"id": self.id, "is_bot": False, "first_name": f"r{self.id}", "language_code": "fa"}

    def says(self, text: str | None = None, **content: Any) -> dict[str, Any]:
        """A message update; a leading /command gets its entity as a real client sends."""
        if text is not None:
            content["text"] = text
            if text.startswith("/"):
                length = len(text.split()[0])
                content["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        return {
            "message": {
                "message_id": self.api.next_message_id(self.id),
                "date": int(time.time()),
                "chat": {"id": self.id, "type": "private", "first_name": f"r{self.id}"},
                "from": self.user,
                **content,
            }
        }

    def photo(self, n: int, album: str) -> dict[str, Any]:
        sizes = [
            {
                "file_id": f"AgAC{self.id}s{n}",
                "file_unique_id": f"{self.id}s{n}",
                "width": 90,
                "height": 60,
            },
            {
                "file_id": f"AgAC{self.id}b{n}",
                "file_unique_id": f"{self.id}b{n}",
                "width": 1280,
                "height": 960,
            },
        ]
        return self.says(photo=sizes, media_group_id=album)

    def presses(self, on: Call, label_part: str) -> dict[str, Any]:
        """Pressing the inline button whose label contains `label_part` under message `on`."""
        data = next(d for label, d in on.buttons if label_part in label)
        query_id = f"{self.id}-{time.monotonic_ns()}"
        self.api.remember_callback(query_id, self.id)
        query = {
            "id": query_id,
            "from": self.user,
            "chat_instance": str(self.id),
            "data": data,
            "message": on.message,
        }
        return {"callback_query": query}

    async def step(
        self, name: str, updates: list[dict[str, Any]], expected: Callable[[Call], bool]
    ) -> Call | None:
        """Send updates at once; wait for the answer `expected` recognises (None: lost).
        The latency of the first reply to the first update is recorded (no reply within
        STEP_SECONDS: STEP_SECONDS)."""
        start = len(self.api.calls)
        update_ids = self.api.push(*updates)
        self.first_at = self.first_at or time.monotonic()
        error = fragment(self.texts.ERROR)
        answer = await self.api.wait_for(
            self.id, lambda c: expected(c) or error in c.text, start, STEP_SECONDS
        )
        handed = self.api.handed.get(update_ids[0])
        first = None
        if handed is not None:
            mine = (c for c in self.api.calls[start:] if c.chat_id == self.id and is_reply(c))
            first = next((c for c in mine if c.at >= handed), None)
            if first is not None:
                self.latencies.append(first.at - handed)
        if handed is None or first is None:
            self.latencies.append(STEP_SECONDS)  # no reply at all: counted as the wait
        self.last_at = time.monotonic()
        if answer is None or error in answer.text:
            self.lost.append(name)
            return None
        return answer


def texts_in(text: str) -> Callable[[Call], bool]:
    return lambda call: text in call.text


def button(label_part: str) -> Callable[[Call], bool]:
    return lambda call: any(label_part in label for label, _ in call.buttons)


async def think(rng: random.Random) -> None:
    """A person reading the answer and finding the next button."""
    await asyncio.sleep(rng.uniform(0.8, 1.5))


async def file_report(person: Person, rng: random.Random, delay: float) -> bool:
    """The whole report flow at a human pace; True if it ended with the tracking code."""
    t = person.texts
    await asyncio.sleep(delay)
    menu = await person.step(
        "menu",
        [person.says(t.MENU_REPORT)],
        lambda c: c.method.startswith("send") and bool(c.buttons),
    )
    if menu is None:
        return False
    await think(rng)
    categories = [label for label, _ in menu.buttons if t.BUTTON_CANCEL not in label]
    pressed = person.presses(menu, rng.choice(categories))
    if not await person.step("category", [pressed], texts_in(fragment(t.ASK_DESCRIPTION))):
        return False
    await think(rng)
    wants_media = lambda c: any(b["text"] == t.BUTTON_CONTINUE for b in c.keyboard)  # noqa: E731
    if not await person.step("description", [person.says(DESCRIPTION)], wants_media):
        return False
    await think(rng)
    album = f"album{person.id}"
    two = lambda c: fragment(t.MEDIA_RECEIVED) in c.text and "۲" in c.text  # noqa: E731
    if not await person.step("album", [person.photo(1, album), person.photo(2, album)], two):
        return False
    await think(rng)
    if not await person.step(
        "continue", [person.says(t.BUTTON_CONTINUE)], texts_in(fragment(t.ASK_LOCATION))
    ):
        return False
    await think(rng)
    review = await person.step("address", [person.says(ADDRESS)], button(t.BUTTON_CONFIRM))
    if review is None:
        return False
    await think(rng)
    done = texts_in(fragment(t.SUBMITTED))
    offer = button(t.BUTTON_NEW_ANYWAY)
    answer = await person.step(
        "confirm", [person.presses(review, t.BUTTON_CONFIRM)], lambda c: done(c) or offer(c)
    )
    if answer is not None and offer(answer) and not done(answer):  # "the same problem?" no
        await think(rng)
        answer = await person.step(
            "not the same", [person.presses(answer, t.BUTTON_NEW_ANYWAY)], done
        )
    return answer is not None


async def start_broadcast(
    api: StandIn, texts: ModuleType, recipients: set[int], rng: random.Random
) -> tuple[float, Call]:
    """The super-admin walks /broadcast at a human pace: everyone, the text, send now.
    Returns the moment «send now» was handed to the bot and the first copy accepted."""
    admin, t = Person(api, ADMIN, texts), texts
    checked = t.CHECKED.strip()
    ticked = preview = None
    menu = await admin.step("/broadcast", [admin.says("/broadcast")], button(t.AUDIENCE_ALL))
    if menu:
        await think(rng)
        ticked = await admin.step(
            "everyone",
            [admin.presses(menu, t.AUDIENCE_ALL)],
            lambda c: (
                c.method.startswith("edit")
                and any(t.AUDIENCE_ALL in label and checked in label for label, _ in c.buttons)
            ),
        )
    if ticked:
        await think(rng)
        asked = await admin.step(
            "continue",
            [admin.presses(ticked, t.BUTTON_CONTINUE)],
            texts_in(fragment(t.ASK_CONTENT)),
        )
        await think(rng)
        if asked:
            preview = await admin.step(
                "text", [admin.says(ANNOUNCEMENT)], button(t.BUTTON_SEND_NOW)
            )
    if not preview:
        raise RuntimeError(f"the /broadcast conversation stopped at {admin.lost}")
    await think(rng)
    start = len(api.calls)
    (press_id,) = api.push(admin.presses(preview, t.BUTTON_SEND_NOW))
    first = await api.wait_for(None, lambda c: c.chat_id in recipients and is_copy(c), start, 600)
    if first is None:
        raise RuntimeError("no copy of the announcement within 10 minutes of «send now»")
    return api.handed[press_id], first


class Copies:
    """The announcement's copies among the stand-in's calls, read as they come."""

    def __init__(self, api: StandIn, recipients: set[int]) -> None:
        self.api, self.recipients = api, recipients
        self.times: list[float] = []
        self.chats: set[int] = set()
        self._index = 0

    def read(self) -> int:
        calls = self.api.calls
        for call in calls[self._index :]:
            if call.chat_id in self.recipients and is_copy(call):
                self.times.append(call.at)
                self.chats.add(call.chat_id)
        self._index = len(calls)
        return len(self.chats)

    async def until_done(self, deadline: float, stall: float, report_every: float = 0) -> str:
        """Wait until every recipient has a copy; 'done', 'stalled' or 'timed out'."""
        last_count, last_change, last_report = -1, time.monotonic(), time.monotonic()
        while True:
            count = self.read()
            now = time.monotonic()
            if count == len(self.recipients):
                return "done"
            if count != last_count:
                last_count, last_change = count, now
            if now - last_change > stall:
                return "stalled"
            if now > deadline:
                return "timed out"
            if report_every and now - last_report >= report_every:
                last_report = now
                print(f"  … {count} of {len(self.recipients)} copies", flush=True)
            await asyncio.sleep(0.5)

    def rate(self, since: float | None = None, until: float | None = None) -> float:
        """Copies a second between the first and last copy (or within [since, until])."""
        if since is None or until is None:
            if len(self.times) < 2:
                return 0.0
            return (len(self.times) - 1) / (self.times[-1] - self.times[0])
        inside = sum(since <= at <= until for at in self.times)
        return inside / (until - since) if until > since else 0.0

    def per_minute(self) -> list[int]:
        """Copies in each whole minute from the first copy on (a last partial minute left out)."""
        if not self.times:
            return []
        first = self.times[0]
        whole = int((self.times[-1] - first) // 60)
        counts = [0] * whole
        for at in self.times:
            minute = int((at - first) // 60)
            if minute < whole:
                counts[minute] += 1
        return counts


def too_many_rows(api: StandIn) -> list[tuple[str, object]]:
    rows: list[tuple[str, object]] = [(f"429s {m}", n) for m, n in api.too_many.most_common()]
    return rows or [("429s", 0)]


def progress_row(api: StandIn, texts: ModuleType, pressed: float) -> tuple[str, object]:
    """How often the author saw the announcement's progress message (sent or edited)."""
    mark = fragment(texts.PROGRESS)
    shown = [c for c in api.calls if c.chat_id == ADMIN and c.at >= pressed and mark in c.text]
    if not shown:
        return ("author's progress message shown", "never")
    seen = f"{len(shown)} times, last {shown[-1].at - pressed:.0f} s after «send now»"
    return ("author's progress message shown", seen)


def bot_rows(bot: BotProcess, load_before: float) -> list[tuple[str, object]]:
    """The bot's memory, log and exit; the machine's load (other work skews every figure)."""
    errors, tracebacks = bot.problems()
    return [
        ("bot peak memory (VmHWM)", f"{bot.peak_kb / 1024:.0f} MiB"),
        ("bot log: ERROR lines / tracebacks", f"{errors} / {tracebacks}"),
        ("bot exit code", bot.process.returncode),
        ("load average before / after", f"{load_before:.1f} / {os.getloadavg()[0]:.1f}"),
    ]


# ---------------------------------------------------------------- scenarios


@dataclass
class Options:
    recipients: int | None
    residents: int
    flood: int
    others: int
    helps: int
    seed: int | None
    bot_dir: Path
    keep: Path | None


@contextlib.contextmanager
def workdir(options: Options) -> Iterator[Path]:
    """Where the database and the bot's log go: `--keep DIR` (kept), or a temporary folder."""
    if options.keep is not None:
        options.keep.mkdir(parents=True, exist_ok=True)
        yield options.keep
        return
    with tempfile.TemporaryDirectory() as folder:
        yield Path(folder)


def fresh_db(db: Path) -> Path:
    """`db`, with any earlier run's database there removed."""
    for leftover in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
        leftover.unlink(missing_ok=True)
    return db


def load_texts(bot_dir: Path) -> ModuleType:
    """The bot's sentences and labels, as a person reads them on the screen."""
    sys.path.insert(0, str(bot_dir))
    return importlib.import_module("bot.texts_fa")


@dataclass
class Announcement:
    """An announcement under way: the stand-in, the bot sending it, its copies so far."""

    api: StandIn
    bot: BotProcess
    copies: Copies
    people: list[int]
    rng: random.Random
    pressed: float  # when the super-admin pressed «send now»
    first: Call  # the first copy the stand-in accepted
    began: float
    load_before: float
    bot_figures: list[tuple[str, object]] = field(default_factory=list)  # once the bot stopped

    def closing_rows(self, count: int, outcome: str, texts: ModuleType) -> list[tuple[str, object]]:
        """The rows every announcement scenario ends its table with."""
        copies = self.copies
        return [
            progress_row(self.api, texts, self.pressed),
            (
                "copies delivered",
                f"{len(copies.chats)} of {count} ({outcome}),"
                f" {len(copies.times) - len(copies.chats)} duplicates",
            ),
            *too_many_rows(self.api),
            *self.bot_figures,
            ("wall time", f"{time.monotonic() - self.began:.0f} s"),
        ]


@contextlib.asynccontextmanager
async def announcing(
    options: Options, texts: ModuleType, name: str, count: int
) -> AsyncIterator[Announcement]:
    """A fresh stand-in and database with `count` residents, the bot running, and the
    super-admin's announcement to all of them started through /broadcast."""
    people = [RESIDENTS_FROM + i for i in range(count)]
    rng = random.Random(options.seed)
    began, load_before = time.monotonic(), os.getloadavg()[0]
    api = StandIn()
    port = api.listen()
    with workdir(options) as folder:
        db = fresh_db(folder / f"{name}.db")
        seed(db, port, people, options.bot_dir)
        copies = Copies(api, set(people))
        async with running_bot(db, port, options.bot_dir) as bot:
            await until_polling(api, bot)
            pressed, first = await start_broadcast(api, texts, set(people), rng)
            run = Announcement(api, bot, copies, people, rng, pressed, first, began, load_before)
            yield run
        api.stop()
        run.bot_figures = bot_rows(bot, load_before)


async def scenario_a(options: Options, texts: ModuleType) -> None:
    count = options.recipients or 3000
    async with announcing(options, texts, "a", count) as run:
        api, rng, copies = run.api, run.rng, run.copies
        # The reporters are residents too (the announcement reaches them as well).
        reporters = [Person(api, uid, texts) for uid in run.people[: options.residents]]
        walks = [file_report(p, random.Random(rng.random()), rng.uniform(0, 10)) for p in reporters]
        flows = await asyncio.gather(*walks)
        active_from = min((p.first_at for p in reporters), default=0.0)
        active_to = max((p.last_at for p in reporters), default=0.0)
        outcome = await copies.until_done(time.monotonic() + count / LIMIT * 3 + 120, stall=60)
    latencies = [x for p in reporters for x in p.latencies]
    lost = [name for p in reporters for name in p.lost]
    where = ", ".join(f"{name} {lost.count(name)}" for name in dict.fromkeys(lost))
    active = copies.rate(active_from, active_to)
    busy = sum(active_from <= c.at <= active_to and counted(c.method) for c in api.calls)
    busy_rate = busy / (active_to - active_from) if active_to > active_from else 0.0
    table(
        f"(a) announcement to {count} residents, {options.residents} residents reporting meanwhile",
        [
            ("replies lost (target 0)", f"{len(lost)} ({where})" if lost else 0),
            ("flows ended with a tracking code", f"{sum(flows)} of {len(flows)}"),
            ("reply latency p50", ms(percentile(latencies, 0.5))),
            ("reply latency p95 (target < 1500 ms)", ms(percentile(latencies, 0.95))),
            ("reply latency max", ms(max(latencies, default=math.nan))),
            ("latency samples (no reply in 30 s = 30 s)", len(latencies)),
            ("«send now» to first copy", f"{run.first.at - run.pressed:.2f} s"),
            (
                "rate while residents active",
                f"{active:.1f}/s = {active / LIMIT:.2f} of 30/s ({active_to - active_from:.0f} s)",
            ),
            (
                "all counted messages meanwhile",
                f"{busy_rate:.1f}/s = {busy_rate / LIMIT:.2f} of 30/s",
            ),
            ("rate overall", f"{copies.rate():.1f}/s = {copies.rate() / LIMIT:.2f} of 30/s"),
            *run.closing_rows(count, outcome, texts),
        ],
    )


async def scenario_b(options: Options, texts: ModuleType) -> None:
    rng = random.Random(options.seed)
    began, load_before = time.monotonic(), os.getloadavg()[0]
    api = StandIn()
    port = api.listen()
    flooder_id = RESIDENTS_FROM
    people = [flooder_id + i for i in range(options.others + 1)]
    with workdir(options) as folder:
        db = fresh_db(folder / "b.db")
        seed(db, port, people, options.bot_dir)
        async with running_bot(db, port, options.bot_dir) as bot:
            await until_polling(api, bot)
            flooder = Person(api, flooder_id, texts)
            others = [Person(api, uid, texts) for uid in people[1:]]
            start = len(api.calls)
            flood_ids = api.push(*(flooder.says(f"سلام {i}") for i in range(options.flood)))
            flood_at = time.monotonic()

            async def ask_for_help(person: Person, pace: random.Random) -> None:
                await asyncio.sleep(pace.uniform(0, 1))
                for _ in range(options.helps):
                    await person.step(
                        "/help", [person.says("/help")], texts_in(fragment(texts.HELP))
                    )
                    await asyncio.sleep(pace.uniform(1.5, 2.5))

            await asyncio.gather(*(ask_for_help(p, random.Random(rng.random())) for p in others))
            await asyncio.sleep(5)  # the flooder's last answers
            window_end = time.monotonic()
        api.stop()
        bot_figures = bot_rows(bot, load_before)
    window = window_end - flood_at
    to_flooder = [
        c
        for c in api.calls[start:]
        if c.chat_id == flooder_id and is_reply(c) and c.at <= window_end
    ]
    handed = sum(uid in api.handed for uid in flood_ids)
    latencies = [x for p in others for x in p.latencies]
    lost = sum(len(p.lost) for p in others)
    table(
        f"(b) one resident sends {options.flood} messages at once, {options.others} others /help",
        [
            ("others' reply latency p50", ms(percentile(latencies, 0.5))),
            ("others' reply latency p95 (target < 500 ms)", ms(percentile(latencies, 0.95))),
            ("others' reply latency max", ms(max(latencies, default=math.nan))),
            ("others' replies lost", f"{lost} of {options.others * options.helps}"),
            ("flooder's messages handed to the bot", f"{handed} of {options.flood}"),
            ("replies the flooder received", f"{len(to_flooder)} in {window:.0f} s"),
            *too_many_rows(api),
            *bot_figures,
            ("wall time", f"{time.monotonic() - began:.0f} s"),
        ],
    )


async def scenario_c(options: Options, texts: ModuleType) -> None:
    count = options.recipients or 100_000
    async with announcing(options, texts, "c", count) as run:
        first_after = run.first.at - run.pressed
        print(f"  first copy {first_after:.2f} s after «send now»", flush=True)
        outcome = await run.copies.until_done(
            time.monotonic() + count / LIMIT * 3 + 300, stall=120, report_every=60
        )
    copies = run.copies
    minutes = copies.per_minute()
    worst = min(minutes, default=None)
    table(
        f"(c) announcement to {count} residents",
        [
            ("«send now» to first copy", f"{first_after:.2f} s"),
            (
                "rate over the whole run",
                f"{copies.rate():.2f}/s = {copies.rate() / LIMIT:.3f} of 30/s",
            ),
            ("whole minutes measured", len(minutes)),
            (
                "worst minute (target ≥ 0.95)",
                "n/a (under a minute)"
                if worst is None
                else f"{worst / 60:.2f}/s = {worst / 60 / LIMIT:.3f} of 30/s",
            ),
            *run.closing_rows(count, outcome, texts),
        ],
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", choices=["ab", "a", "b", "c"], default="ab")
    parser.add_argument("--recipients", type=int, help="announcement size (a: 3000, c: 100000)")
    parser.add_argument("--residents", type=int, default=50, help="(a) residents reporting")
    parser.add_argument("--flood", type=int, default=300, help="(b) the flooder's messages")
    parser.add_argument("--others", type=int, default=10, help="(b) residents asking /help")
    parser.add_argument("--helps", type=int, default=5, help="(b) /help each of them sends")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--bot-dir", type=Path, default=ROOT, help="the bot's tree to run")
    parser.add_argument("--keep", type=Path, help="keep databases and bot logs in this folder")
    args = parser.parse_args()
    options = Options(
        args.recipients,
        args.residents,
        args.flood,
        args.others,
        args.helps,
        args.seed,
        args.bot_dir.resolve(),
        args.keep,
    )
    texts = load_texts(options.bot_dir)
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, bot from {options.bot_dir}")
    scenarios = {"a": scenario_a, "b": scenario_b, "c": scenario_c}
    for key in args.scenario:
        await scenarios[key](options, texts)


if __name__ == "__main__":
    asyncio.run(main())
