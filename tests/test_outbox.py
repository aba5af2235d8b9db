"""What a feature can ask of the outbox: a message held until its time (reminders), its own
messages withdrawn before they go out (a cancelled session), a file the bot generated sent to
several people with one upload (a chart, a monthly report)."""

import asyncio
from datetime import timedelta

import pytest

from bot import delivery, notices
from bot.application import BotContext
from bot.outbox import (
    CAPTION_LIMIT,
    FileMedia,
    GeneratedFile,
    Outgoing,
    held_until,
    reference,
    tagged,
    upload,
)
from tests.conftest import MUNICIPALITY_CHAT
from tests.flows import register
from tests.harness import Call, DiskFull, FakeClock, Fault, Harness, Person, eventually
from tests.test_delivery import claim_then_fill, count_claims

REMINDER = "یادآوری: جلسهٔ محله فردا ساعت ۱۰"


def sent_texts(bot: Harness, person: Person) -> list[str]:
    return [call.text for call in bot.api.sent_to(person.id)]


async def owe_reminder(
    bot: Harness, chat_id: int, at: timedelta, worth_for: timedelta = timedelta(hours=2)
) -> None:
    """The reminder to `chat_id`, held until `at` from now."""
    reminder = notices.message(chat_id, REMINDER)
    moment = bot.clock.now() + at
    await bot.app.storage.enqueue([held_until(reminder, moment, worth_for=worth_for)])


async def residents(bot: Harness, count: int) -> list[Person]:
    """`count` registered residents; from now on messages wait for `drain()`."""
    people = [Person(7300 + i, f"ساکن {i}") for i in range(count)]
    for person in people:
        await register(bot, person)
    bot.auto_deliver = False
    return people


async def test_a_held_message_goes_at_its_time_not_before_also_across_a_restart(bot, resident):
    await register(bot, resident)
    bot.auto_deliver = False
    await owe_reminder(bot, resident.id, timedelta(days=1))
    await bot.app.storage.enqueue([notices.message(resident.id, "پیام امروز")])
    await bot.app.delivery.drain()
    assert sent_texts(bot, resident)[-1] == "پیام امروز"  # not held up by the reminder before it
    assert REMINDER not in sent_texts(bot, resident)
    bot.clock.advance(hours=23, minutes=59)
    await bot.app.delivery.drain()
    assert REMINDER not in sent_texts(bot, resident)
    await bot.restart()
    await bot.app.delivery.drain()
    assert REMINDER not in sent_texts(bot, resident)
    bot.clock.advance(minutes=1)
    await bot.app.delivery.drain()
    assert sent_texts(bot, resident).count(REMINDER) == 1
    assert await bot.app.storage.outbox_counts() == {"sent": 2}


async def test_a_reminder_whose_moment_passed_while_the_bot_was_down_is_not_sent(
    bot, resident, caplog
):
    await register(bot, resident)
    bot.auto_deliver = False
    await owe_reminder(bot, resident.id, timedelta(hours=1))
    await bot.stop()
    bot.clock.advance(hours=3, seconds=1)  # down from before its time until after its deadline
    await bot.start()
    await bot.app.storage.enqueue([notices.message(resident.id, "پیام امروز")])
    await bot.app.delivery.drain()
    assert REMINDER not in sent_texts(bot, resident)
    assert sent_texts(bot, resident)[-1] == "پیام امروز"
    counts = await bot.app.storage.outbox_counts()
    assert counts["failed"] == 1
    assert "not sent: its deadline" in caplog.text


async def test_within_its_deadline_a_late_reminder_still_goes(bot, resident):
    await register(bot, resident)
    bot.auto_deliver = False
    await owe_reminder(bot, resident.id, timedelta(hours=1))
    bot.clock.advance(hours=2, minutes=59)
    await bot.app.delivery.drain()
    assert sent_texts(bot, resident)[-1] == REMINDER


async def test_the_worker_sleeps_until_a_held_message_is_due(bot, resident, monkeypatch):
    """The real background worker: it neither sends early nor looks every second, and wakes by
    itself at the held message's time (the fake clock is moved, real time waits that long)."""
    await register(bot, resident)
    bot.auto_deliver = False
    claims = count_claims(bot, monkeypatch)
    worker = bot.app.delivery
    await worker.start()
    try:
        await eventually(lambda: worker.wakes_at is not None)  # asleep: nothing owed
        bot.clock.advance(seconds=0.7)  # moments are stored to the second: the next is 0.3 s away
        now = bot.clock.now()
        looked = len(claims)
        await owe_reminder(bot, resident.id, timedelta(days=1))
        await eventually(lambda: len(claims) > looked)  # it looked: nothing due yet
        await eventually(lambda: worker.wakes_at == now + timedelta(seconds=delivery.IDLE_LOOK))
        soon = timedelta(seconds=0.3)
        await owe_reminder(bot, resident.id, soon)
        await eventually(lambda: worker.wakes_at == now + soon)
        looked = len(claims)
        bot.clock.advance(seconds=0.3)
        await eventually(lambda: REMINDER in sent_texts(bot, resident))
        assert claims[looked] == 1  # its next look was at the reminder's time, and took it
        assert sent_texts(bot, resident).count(REMINDER) == 1  # the other waits for tomorrow
    finally:
        await worker.stop()


async def test_a_message_held_for_a_group_that_moved_keeps_its_time(bot):
    supergroup = -1009990001
    bot.auto_deliver = False
    await owe_reminder(bot, MUNICIPALITY_CHAT, timedelta(days=1))
    await bot.app.storage.enqueue([notices.message(MUNICIPALITY_CHAT, "پیام امروز")])
    bot.api.chat_faults[MUNICIPALITY_CHAT] = Fault.migrated(supergroup)
    await bot.app.delivery.drain()
    assert [c.text for c in bot.api.sent_to(supergroup)] == ["پیام امروز"]
    bot.clock.advance(days=1)
    await bot.app.delivery.drain()
    assert [c.text for c in bot.api.sent_to(supergroup)] == ["پیام امروز", REMINDER]


# ---------------------------------------------------------------- withdrawn by reference


async def test_a_feature_withdraws_its_own_unsent_messages_and_nothing_else(bot):
    people = await residents(bot, 4)
    storage = bot.app.storage
    tomorrow = bot.clock.now() + timedelta(days=1)

    def reminder(person: Person, text: str):
        return held_until(notices.message(person.id, text), tomorrow, worth_for=timedelta(hours=2))

    session = reference("session", 12)
    await storage.enqueue(
        tagged(reference("session", 12, "reminder"), [reminder(p, "جلسهٔ ۱۲") for p in people[:2]])
        + tagged(session, [notices.message(people[2].id, "ثبت‌نام شد")])  # goes out now
        + tagged(reference("session", 120, "reminder"), [reminder(people[0], "جلسهٔ ۱۲۰")])
        + tagged(reference("survey", 4), [reminder(people[1], "نظرسنجی ۴")])  # another feature
        + [reminder(people[3], "بی‌نشان")]  # no reference at all
    )
    await bot.app.delivery.drain()
    bot.api.held[people[3].id] = asyncio.Event()  # a slow network to her
    await storage.enqueue(tagged(session, [notices.message(people[3].id, "در راه")]))
    sending = asyncio.create_task(bot.app.delivery.drain())
    await eventually(lambda: bot.api.waiting)

    assert await storage.withdraw(session) == 2  # its two reminders, not what is on its way
    assert await storage.withdraw(session) == 0

    bot.api.held[people[3].id].set()
    await sending
    bot.clock.advance(days=1)
    await bot.app.delivery.drain()
    assert sent_texts(bot, people[0])[-1:] == ["جلسهٔ ۱۲۰"]
    assert sent_texts(bot, people[1])[-1:] == ["نظرسنجی ۴"]
    assert sent_texts(bot, people[2])[-1:] == ["ثبت‌نام شد"]
    assert sent_texts(bot, people[3])[-2:] == ["در راه", "بی‌نشان"]
    assert "جلسهٔ ۱۲" not in [text for p in people for text in sent_texts(bot, p)]
    assert (await storage.outbox_counts())["cancelled"] == 2


@pytest.mark.parametrize("parts", [(), ("session", ""), ("session:12",), ("session", " 12")])
def test_a_malformed_reference_is_refused(parts):
    with pytest.raises(ValueError, match="reference"):
        reference(*parts)


@pytest.mark.parametrize("text", ["", "session:", ":12", "session::reminder"])
def test_a_message_with_a_malformed_reference_is_refused(text):
    with pytest.raises(ValueError, match="reference"):
        Outgoing(1, "message", {"text": "…"}, reference=text)


def test_a_held_message_needs_a_deadline_after_its_time(resident):
    message = notices.message(resident.id, REMINDER)
    at = FakeClock().now()
    with pytest.raises(ValueError, match="needs a deadline"):
        Outgoing(resident.id, "message", message.payload, not_before=at)
    with pytest.raises(ValueError, match="after its time"):
        held_until(message, at, worth_for=timedelta(0))


# ---------------------------------------------------------------- generated files

REPORT = GeneratedFile(b"%PDF-1.7\n" + bytes(range(256)) * 8192, "report-1404-09.pdf")  # 2 MB
CHART = GeneratedFile(b"\x89PNG\r\n\x1a\n" + bytes(200_000), "chart.png", FileMedia.PHOTO)
CAPTION = "📊 گزارش ماهانهٔ <b>آذر ۱۴۰۴</b>"


def uploads(bot: Harness) -> list[Call]:
    return [call for call in bot.api.calls if call.upload is not None]


async def test_a_generated_file_reaches_two_people_with_one_upload_then_its_file_id(bot):
    people = await residents(bot, 3)
    await bot.app.storage.enqueue([upload(p.id, REPORT, CAPTION) for p in people[:2]])
    assert await bot.app.storage.upload_bytes_held() == len(REPORT.content)  # once, not twice
    await bot.app.delivery.drain()  # both are with the bot at once

    sent = [bot.api.last_to(p.id) for p in people[:2]]
    assert [(c.method, c.text) for c in sent] == [("sendDocument", CAPTION)] * 2
    (uploaded,) = uploads(bot)
    assert uploaded.upload == (REPORT.filename, REPORT.content)
    file_id = uploaded.result["document"]["file_id"]
    (by_id,) = [c for c in sent if c is not uploaded]
    assert by_id.params["document"] == file_id
    assert await bot.app.storage.upload_bytes_held() == 0  # the bytes left with the upload

    await bot.restart()  # the file id is kept in the database, not only in memory
    await bot.app.storage.enqueue([upload(people[2].id, REPORT, CAPTION)])
    assert await bot.app.storage.upload_bytes_held() == 0  # Telegram has it: not stored again
    await bot.app.delivery.drain()
    third = bot.api.last_to(people[2].id)
    assert (third.upload, third.params["document"], third.text) == (None, file_id, CAPTION)
    assert len(uploads(bot)) == 1


async def test_once_the_file_is_up_the_other_recipients_go_together(bot):
    """Only the first upload makes the others wait; after it they do not queue behind each
    other (the network to them is slow here: both are on their way at the same time)."""
    people = await residents(bot, 3)
    for person in people[1:]:
        bot.api.held[person.id] = asyncio.Event()
    await bot.app.storage.enqueue([upload(p.id, REPORT) for p in people])
    sending = asyncio.create_task(bot.app.delivery.drain())
    try:
        await eventually(lambda: len(bot.api.waiting) == 2, seconds=5)
        assert {call.upload for call in bot.api.waiting} == {None}
    finally:
        for person in people[1:]:
            bot.api.held[person.id].set()
        await sending
    assert len(uploads(bot)) == 1


async def test_a_chart_goes_as_a_photo_and_the_largest_size_is_kept(bot):
    people = await residents(bot, 2)
    await bot.app.storage.enqueue([upload(people[0].id, CHART, "نتیجهٔ نظرسنجی")])
    await bot.app.delivery.drain()
    first = bot.api.last_to(people[0].id)
    assert (first.method, first.text, first.upload) == (
        "sendPhoto", "نتیجهٔ نظرسنجی", (CHART.filename, CHART.content)
    )  # fmt: skip
    await bot.app.storage.enqueue([upload(people[1].id, CHART)])
    await bot.app.delivery.drain()
    second = bot.api.last_to(people[1].id)
    assert second.upload is None
    assert second.params["photo"] == first.result["photo"][-1]["file_id"]
    assert "caption" not in second.params


async def test_uploads_while_the_disk_is_full_still_upload_once(bot, monkeypatch):
    """The upload's outcome cannot be recorded yet: the next recipient still gets the file id."""
    people = await residents(bot, 2)
    await bot.app.storage.enqueue([upload(p.id, REPORT) for p in people])
    disk = DiskFull(bot.app.storage, monkeypatch)
    await claim_then_fill(bot, disk, monkeypatch)
    await bot.app.delivery.drain()
    assert [c.method for c in bot.api.calls[-2:]] == ["sendDocument"] * 2
    assert await bot.app.storage.outbox_counts() == {"sending": 2}
    monkeypatch.undo()
    bot.clock.advance(seconds=30)
    await bot.app.delivery.drain()
    assert await bot.app.storage.outbox_counts() == {"sent": 2}
    assert len(uploads(bot)) == 1
    assert await bot.app.storage.upload_bytes_held() == 0


async def test_bytes_no_message_needs_leave_the_database(bot):
    """A withdrawn upload takes its bytes along at once; one given up (the person blocked the
    bot), at the daily sweep. A file still owed to someone keeps them."""
    people = await residents(bot, 3)
    storage = bot.app.storage
    tomorrow = bot.clock.now() + timedelta(days=1)
    report = tagged(reference("report", "1404-09"), [upload(people[0].id, REPORT)])
    await storage.enqueue([held_until(report[0], tomorrow, worth_for=timedelta(days=1))])
    assert await storage.withdraw("report") == 1
    assert await storage.upload_bytes_held() == 0

    bot.api.blocked.add(people[1].id)
    await storage.enqueue([upload(people[1].id, CHART)])
    chart_later = upload(people[2].id, CHART)
    await storage.enqueue([held_until(chart_later, tomorrow, worth_for=timedelta(hours=1))])
    await bot.app.delivery.drain()
    await delivery.prune_job(BotContext(bot.app))
    assert await storage.upload_bytes_held() == len(CHART.content)  # still owed tomorrow
    await storage.withdraw("nothing")  # any withdrawal sweeps too: the chart is still owed
    assert await storage.upload_bytes_held() == len(CHART.content)
    bot.clock.advance(days=1)
    await bot.app.delivery.drain()
    assert bot.api.last_to(people[2].id).upload == (CHART.filename, CHART.content)
    assert await storage.upload_bytes_held() == 0


def test_a_long_caption_is_cut_to_telegrams_limit():
    caption = "<b>نتیجه</b> " + "خیلی خوب " * 200
    message = upload(1, CHART, caption)
    assert message.payload["plain"] is True
    assert CAPTION_LIMIT - 10 < len(message.payload["text"].encode("utf-16-le")) // 2 <= 1024
    assert message.payload["text"].startswith("نتیجه خیلی خوب")
    assert message.payload["text"].endswith("…")


@pytest.mark.parametrize(
    ("size", "media"), [(0, FileMedia.DOCUMENT), (10_000_001, FileMedia.PHOTO),
                        (50_000_001, FileMedia.DOCUMENT)]
)  # fmt: skip
def test_a_file_telegram_would_refuse_is_refused_when_built(size, media):
    with pytest.raises(ValueError, match="bytes"):
        GeneratedFile(bytes(size), "big", media)
