"""Flood control and load: a 429 costs a reply nothing, replies go before announcement copies,
a flooding person is slowed down without holding anyone else, and the budget keeps Telegram's
limits (overall, per private chat, per group)."""

import asyncio
import itertools
import time

import pytest
from telegram.error import RetryAfter

from bot import texts_fa
from bot.flood_control import FloodControl, Priority
from bot.update_order import FLOOD_BURST, FloodGuard
from tests.conftest import ADMIN
from tests.flows import register
from tests.harness import Harness, Person, eventually
from tests.test_broadcast import compose, residents


async def test_a_reply_answered_429_arrives_after_retry_after_in_order(bot):
    newcomer = Person(424242, "لیلا")
    bot.api.fail_next("sendMessage", 429, "Too Many Requests: retry after 2", retry_after=2)
    calls = await bot.send(newcomer, "/start")  # a handler error would fail here
    assert bot.waited == [2.0]
    texts = [c.text for c in calls if c.method == "sendMessage"]
    assert len(texts) == 2
    assert "خوش آمدید" in texts[0]  # the welcome that met the 429 still comes first
    assert texts_fa.ASK_NEIGHBORHOOD in texts[1]


async def test_a_press_answered_429_still_starts_the_announcement(bot):
    people = await residents(bot, 3, "aminabad", 5100)
    summary = (await compose(bot, ADMIN, ["bc:a:all"]))[-1]
    bot.api.fail_next("editMessageReplyMarkup", 429, "Too Many Requests", retry_after=1)
    await bot.press(ADMIN, "bc:send", on=summary)
    assert all("جلسهٔ محله" in bot.api.last_to(p.id).text for p in people)


@pytest.fixture
async def paced(tmp_path):
    """The bot with Telegram's limits on (real time) and its delivery worker running."""
    harness = Harness(tmp_path / "paced.db", admins=frozenset({ADMIN.id}))
    await harness.start()
    yield harness
    await harness.stop()


async def test_replies_go_before_announcement_copies(paced):
    people = await residents(paced, 60, "shahr_qaem", 6000)
    asker = people[-1]
    summary = (await compose(paced, ADMIN, ["bc:a:all"]))[-1]
    paced.app.bot.rate_limiter.per_second = 29  # from here on, Telegram's pace
    paced.auto_deliver = False
    await paced.press(ADMIN, "bc:send", on=summary)
    await paced.app.delivery.start()

    def copies() -> int:
        return sum("جلسهٔ محله" in c.text for c in paced.api.calls)

    await eventually(lambda: copies() >= 10)
    before = copies()
    await paced.arrive(paced.typed(asker, "/help"))
    await eventually(lambda: any(c.text == texts_fa.HELP for c in paced.api.sent_to(asker.id)))
    assert copies() - before <= 2  # at most the copies already handed out when it arrived
    await paced.app.delivery.stop()


async def flood(harness: Harness, flooder: Person, count: int) -> None:
    for i in range(count):
        await harness.arrive(harness.message(flooder, text=f"سلام {i}"))


async def test_a_flooders_backlog_does_not_delay_another_chat(tmp_path):
    # Every one of the flooder's updates let through, more than the bot handles at once.
    harness = Harness(tmp_path / "flood.db", flood_guard=FloodGuard(burst=1000))
    await harness.start()
    flooder, neighbour = Person(31, "علی"), Person(32, "رضا")
    await register(harness, flooder)
    await register(harness, neighbour)
    harness.api.held[flooder.id] = asyncio.Event()  # the flooder's replies hang
    await flood(harness, flooder, 300)
    await harness.arrive(harness.typed(neighbour, "/help"))
    await eventually(lambda: any(c.text == texts_fa.HELP for c in harness.api.calls))
    harness.api.held[flooder.id].set()
    await harness.app.update_queue.join()
    await harness.stop()


async def test_a_flooder_is_told_once_and_the_excess_dropped_unread(tmp_path):
    harness = Harness(tmp_path / "flood.db", flood_guard=FloodGuard())
    await harness.start()
    flooder = Person(31, "علی")
    await register(harness, flooder)
    registration = len(harness.api.sent_to(flooder.id))
    await flood(harness, flooder, 300)
    await harness.app.update_queue.join()
    to_flooder = [c.text for c in harness.api.sent_to(flooder.id)][registration:]
    assert to_flooder.count(texts_fa.SLOW_DOWN) == 1
    answered = len(to_flooder) - 1
    assert FLOOD_BURST - 5 <= answered <= FLOOD_BURST + 2  # the rest never reached a handler
    await harness.stop()


async def test_a_flood_is_told_once_and_a_later_one_again():
    guard = FloodGuard(burst=3, per_second=50)
    assert [guard.admit(1) for _ in range(5)] == [True, True, True, False, False]
    assert guard.admit(2)  # someone else is not touched
    assert [guard.first_drop(1), guard.first_drop(1)] == [True, False]
    await asyncio.sleep(0.1)  # calm: the allowance refills
    assert guard.admit(1)
    assert [guard.admit(1) for _ in range(4)][-1] is False
    assert guard.first_drop(1)  # a new flood: told again


# ---------------------------------------------------------------- the budget itself


class Recorder:
    """A Bot API call as FloodControl sees it; records when each call went out."""

    def __init__(self) -> None:
        self.sent: list[tuple[float, int, str]] = []

    async def call(self, flood: FloodControl, chat_id: int, label: str, priority=None) -> None:
        async def callback() -> bool:
            self.sent.append((time.monotonic(), chat_id, label))
            return True

        await flood.process_request(
            callback, (), {}, "sendMessage", {"chat_id": chat_id}, priority
        )


def most_in_window(times: list[float], window: float) -> int:
    return max(sum(1 for u in times if t <= u < t + window) for t in times)


async def test_one_private_chat_gets_a_short_burst_then_one_a_second():
    flood, recorder = FloodControl(1000), Recorder()
    await asyncio.gather(*(recorder.call(flood, 77, str(i)) for i in range(5)))
    times = [t for t, _, _ in recorder.sent]
    assert [label for _, _, label in recorder.sent] == ["0", "1", "2", "3", "4"]  # in order
    assert times[3] - times[0] >= 0.95  # after the burst of three, one a second
    assert times[4] - times[3] >= 0.95
    await flood.shutdown()


async def test_overall_pace_never_exceeds_the_rate_in_any_window():
    flood, recorder = FloodControl(50), Recorder()
    await asyncio.gather(*(recorder.call(flood, 1000 + i, str(i)) for i in range(40)))
    times = [t for t, _, _ in recorder.sent]
    assert most_in_window(times, 0.2) <= 11  # 50 a second: ten intervals in 0.2 s, plus one
    await flood.shutdown()


async def test_the_most_urgent_waiter_goes_next():
    flood, recorder = FloodControl(20), Recorder()
    chats = itertools.count(2000)
    bulk = [
        asyncio.create_task(recorder.call(flood, next(chats), "bulk", Priority.BULK))
        for _ in range(10)
    ]
    await asyncio.sleep(0.12)  # a few copies out, the rest waiting
    await recorder.call(flood, 1, "reply")
    labels = [label for _, _, label in recorder.sent]
    assert labels.index("reply") <= 4
    await asyncio.gather(*bulk)
    await flood.shutdown()


async def test_a_429_pauses_that_chat_and_announcements_not_other_replies():
    flood, recorder = FloodControl(1000), Recorder()
    refused = False

    async def refuse_once() -> bool:
        nonlocal refused
        if not refused:
            refused = True
            raise RetryAfter(1)
        recorder.sent.append((time.monotonic(), 1, "refused, then sent"))
        return True

    started = time.monotonic()
    first = asyncio.create_task(
        flood.process_request(refuse_once, (), {}, "sendMessage", {"chat_id": 1}, None)
    )
    await asyncio.sleep(0.05)
    await recorder.call(flood, 2, "reply elsewhere")
    await recorder.call(flood, 3, "copy", Priority.BULK)
    await first
    at = {label: t - started for t, _, label in recorder.sent}
    assert at["reply elsewhere"] < 0.5  # another person is not held up
    assert at["copy"] >= 0.95  # announcements wait with the refused chat
    assert at["refused, then sent"] >= 0.95
    await flood.shutdown()
