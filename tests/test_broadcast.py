"""Announcements from the facilitator's /broadcast to every resident's chat."""

from collections import Counter

import pytest

from bot import broadcasts, texts_fa
from tests.conftest import ADMIN, MUNICIPALITY_CHAT, WATER_CHAT
from tests.flows import PHOTO, card_in, file_report, register
from tests.harness import Person, texts

FACILITATOR = Person(400001, "تسهیل‌گر")


async def residents(bot, count: int, neighborhood: str, first_id: int) -> list[Person]:
    people = [Person(first_id + i, f"ساکن {i}") for i in range(count)]
    for person in people:
        await register(bot, person, neighborhood)
    return people


async def compose(bot, author: Person, choices: list[str], text="جلسهٔ محله فردا ساعت ۱۰"):
    """Walk /broadcast to the preview; returns the calls of sending the content."""
    calls = await bot.send(author, "/broadcast")
    for data in choices:
        await bot.press(author, data, on=calls[-1])
    await bot.press(author, "bc:a:ok", on=calls[-1])
    return await bot.send(author, text)


def received(bot, people) -> list[str]:
    return [bot.api.last_to(p.id).text for p in people]


async def test_only_staff_may_broadcast(bot, resident):
    await register(bot, resident)
    calls = await bot.send(resident, "/broadcast")
    assert calls[-1].text == texts_fa.BROADCAST_ONLY_STAFF


async def test_a_facilitator_addresses_only_their_neighborhood(bot):
    await bot.app.storage.grant_role(FACILITATOR.id, "facilitator", "shahr_qaem", ADMIN.id)
    calls = await bot.send(FACILITATOR, "/broadcast")
    labels = [label for label, _ in calls[-1].buttons]
    assert labels == [texts_fa.CHECKED + "شهر قائم", texts_fa.BUTTON_CONTINUE]
    for forged in ("bc:a:all", "bc:a:ag", "bc:a:n:aminabad"):
        calls = await bot.press(FACILITATOR, forged)
        assert calls[-1].params["text"] == texts_fa.NOT_ALLOWED
    draft = bot.app.user_data[FACILITATOR.id]["broadcast"]["audience"]
    assert draft == {"neighborhoods": ["shahr_qaem"]}


async def test_preview_confirm_and_delivery(bot):
    qaem = await residents(bot, 3, "shahr_qaem", 1000)
    amin = await residents(bot, 2, "aminabad", 2000)
    calls = await compose(bot, ADMIN, ["bc:a:n:aminabad", "bc:a:ag"], "<b>جلسه</b> فردا & پس‌فردا")
    preview, summary = calls[-2], calls[-1]
    assert preview.chat_id == ADMIN.id
    assert preview.text == "📣 <b>اطلاعیه</b>\n\n&lt;b&gt;جلسه&lt;/b&gt; فردا &amp; پس‌فردا"
    assert "<b>۴</b>" in summary.text  # two residents and two agency chats
    assert "امین‌آباد" in summary.text
    await bot.press(ADMIN, "bc:send", on=summary)
    assert received(bot, amin) == [preview.text] * 2
    assert bot.api.last_to(MUNICIPALITY_CHAT).text == preview.text
    assert bot.api.last_to(WATER_CHAT).text == preview.text
    assert all(preview.text not in t for t in received(bot, qaem))
    progress = bot.api.last_to(ADMIN.id)
    assert texts_fa.BUTTON_STOP in [label for label, _ in progress.buttons]
    await broadcasts.tick(bot.app)
    final = bot.api.last_to(ADMIN.id)
    assert final.method == "editMessageText"
    assert "تمام شد" in final.text
    assert "فرستاده: ۴ از ۴" in final.text
    calls = await bot.send(ADMIN, "/broadcasts")
    assert "✔️ تمام‌شده" in calls[-1].text


async def test_photo_announcement(bot):
    people = await residents(bot, 2, "darvazeh_rey", 3000)
    calls = await bot.send(ADMIN, "/broadcast")
    await bot.press(ADMIN, "bc:a:all", on=calls[-1])
    await bot.press(ADMIN, "bc:a:ok")
    calls = await bot.send_raw(ADMIN, photo=PHOTO, caption="روز پاکسازی محله")
    assert calls[-2].method == "sendPhoto"
    await bot.press(ADMIN, "bc:send", on=calls[-1])
    for person in people:
        copy = bot.api.last_to(person.id)
        assert (copy.method, copy.params["photo"]) == ("sendPhoto", "AgACbig")
        assert "روز پاکسازی محله" in copy.text


async def test_opted_out_residents_get_no_announcements_but_their_notices(bot, resident):
    await register(bot, resident)
    card = (await bot.send(resident, texts_fa.MENU_SETTINGS))[-1]
    calls = await bot.press(resident, card.data_for("اطلاعیه‌ها"), on=card)
    assert "اطلاعیه‌ها: خاموش" in calls[-1].text
    others = await residents(bot, 2, "shahr_qaem", 4000)
    summary = (await compose(bot, ADMIN, ["bc:a:all"]))[-1]
    assert "<b>۲</b>" in summary.text
    await bot.press(ADMIN, "bc:send", on=summary)
    assert all("جلسهٔ محله" in t for t in received(bot, others))
    assert "جلسهٔ محله" not in bot.api.last_to(resident.id).text
    await file_report(bot, resident)
    card = card_in(bot, MUNICIPALITY_CHAT)
    await bot.press(Person(300001, "کارمند"), card.data_for("دریافت شد"), on=card)
    assert "دریافت شد" in bot.api.last_to(resident.id).text


async def test_stop_a_running_broadcast(bot):
    people = await residents(bot, 5, "aminabad", 5000)
    bot.auto_deliver = False
    summary = (await compose(bot, ADMIN, ["bc:a:all"]))[-1]
    await bot.press(ADMIN, "bc:send", on=summary)
    progress = bot.api.last_to(ADMIN.id)
    calls = await bot.press(ADMIN, progress.data_for("توقف"), on=progress)
    assert texts_fa.STOPPED in texts(calls)
    await bot.app.delivery.drain()
    assert all("جلسهٔ محله" not in t for t in received(bot, people))
    final = bot.api.last_to(ADMIN.id)
    assert "متوقف شد" in final.text
    assert "فرستاده‌نشده (لغو): ۵" in final.text


async def test_someone_else_cannot_stop_it(bot):
    await residents(bot, 1, "aminabad", 5000)
    summary = (await compose(bot, ADMIN, ["bc:a:all"]))[-1]
    await bot.press(ADMIN, "bc:send", on=summary)
    calls = await bot.press(FACILITATOR, "bc:stop:1")
    assert calls[-1].params["text"] == texts_fa.NOT_ALLOWED


async def facilitator_revoked(bot) -> None:
    await bot.app.storage.revoke_role(FACILITATOR.id, "facilitator", "shahr_qaem", ADMIN.id)


@pytest.mark.parametrize(
    ("steps", "act"),
    [([], "bc:send"), ([], "bc:sched"), (["bc:sched", "۱۴۰۴/۱۰/۰۱ ۱۸:۳۰"], "bc:send")],
    ids=["send now", "schedule", "confirm the time"],
)
async def test_a_facilitator_revoked_with_a_draft_open_can_no_longer_send_it(bot, steps, act):
    people = await residents(bot, 2, "shahr_qaem", 6000)
    await bot.app.storage.grant_role(FACILITATOR.id, "facilitator", "shahr_qaem", ADMIN.id)
    calls = await compose(bot, FACILITATOR, [])
    for step in steps:  # still a facilitator
        if step.startswith("bc:"):
            calls = await bot.press(FACILITATOR, step, on=calls[-1])
        else:
            calls = await bot.send(FACILITATOR, step)
    await facilitator_revoked(bot)
    answer = (await bot.press(FACILITATOR, act, on=calls[-1]))[0]
    assert (answer.params["text"], answer.params["show_alert"]) == (texts_fa.NOT_ALLOWED, True)
    assert "broadcast" not in bot.app.user_data[FACILITATOR.id]  # the draft is gone
    assert await bot.app.storage.recent_broadcasts(10) == []
    assert all("جلسهٔ محله" not in t for t in received(bot, people))


async def test_a_scheduled_announcement_of_a_revoked_facilitator_does_not_go_out(bot):
    people = await residents(bot, 2, "shahr_qaem", 6000)
    await bot.app.storage.grant_role(FACILITATOR.id, "facilitator", "shahr_qaem", ADMIN.id)
    calls = await compose(bot, FACILITATOR, [])
    await bot.press(FACILITATOR, "bc:sched", on=calls[-1])
    calls = await bot.send(FACILITATOR, "۱۴۰۴/۱۰/۰۱ ۱۸:۳۰")
    await bot.press(FACILITATOR, "bc:send", on=calls[-1])
    await facilitator_revoked(bot)
    bot.clock.advance(days=2)
    await broadcasts.tick(bot.app)
    await bot.app.delivery.drain()
    assert all("جلسهٔ محله" not in t for t in received(bot, people))
    assert [b.state for b in await bot.app.storage.recent_broadcasts(10)] == ["cancelled"]


async def test_a_revoked_facilitator_cannot_stop_their_announcement(bot):
    await residents(bot, 3, "shahr_qaem", 6000)
    await bot.app.storage.grant_role(FACILITATOR.id, "facilitator", "shahr_qaem", ADMIN.id)
    bot.auto_deliver = False
    summary = (await compose(bot, FACILITATOR, []))[-1]
    await bot.press(FACILITATOR, "bc:send", on=summary)
    progress = bot.api.last_to(FACILITATOR.id)
    await facilitator_revoked(bot)
    calls = await bot.press(FACILITATOR, progress.data_for("توقف"), on=progress)
    assert calls[-1].params["text"] == texts_fa.NOT_ALLOWED
    assert [b.state for b in await bot.app.storage.recent_broadcasts(10)] == ["sending"]


async def test_blocked_residents_are_marked_and_skipped(bot):
    people = await residents(bot, 3, "aminabad", 6000)
    bot.api.blocked.add(people[0].id)
    summary = (await compose(bot, ADMIN, ["bc:a:all"]))[-1]
    await bot.press(ADMIN, "bc:send", on=summary)
    assert (await bot.app.storage.get_resident(people[0].id)).active is False
    await broadcasts.tick(bot.app)
    assert "بات را بسته‌اند: ۱" in bot.api.last_to(ADMIN.id).text
    summary = (await compose(bot, ADMIN, ["bc:a:all"], "اطلاعیهٔ دوم محله"))[-1]
    assert "<b>۲</b>" in summary.text


async def test_429_is_retried_without_loss(bot):
    people = await residents(bot, 4, "aminabad", 7000)
    bot.auto_deliver = False
    summary = (await compose(bot, ADMIN, ["bc:a:all"]))[-1]
    await bot.press(ADMIN, "bc:send", on=summary)
    bot.api.fail_next("sendMessage", 429, "Too Many Requests: retry after 3", retry_after=3)
    await bot.app.delivery.drain()
    bot.clock.advance(seconds=3)
    await bot.app.delivery.drain()
    copies = Counter(c.chat_id for c in bot.api.calls if "جلسهٔ محله" in c.text)
    assert all(copies[p.id] == 1 for p in people)


class Crash(Exception):
    pass


async def test_crash_midway_resumes_without_loss_or_duplicates(bot, monkeypatch):
    people = await residents(bot, 10, "aminabad", 8000)
    bot.auto_deliver = False
    summary = (await compose(bot, ADMIN, ["bc:a:all"]))[-1]
    await bot.press(ADMIN, "bc:send", on=summary)
    bot.app.delivery.concurrency = 1
    real_mark_sent = bot.app.storage.mark_sent
    recorded = []

    async def crash_on_fifth(row, message_id):
        if len(recorded) == 4:
            bot.app.delivery.concurrency = 0  # the process is gone: nothing more is sent
            raise Crash  # killed after Telegram took the 5th, before it was written down
        recorded.append(row.chat_id)
        await real_mark_sent(row, message_id)

    monkeypatch.setattr(bot.app.storage, "mark_sent", crash_on_fifth)
    await bot.app.delivery.drain()
    monkeypatch.undo()
    await bot.restart()
    await bot.app.delivery.start()
    await bot.app.delivery.stop()
    await bot.app.delivery.drain()
    copies = Counter(
        c.chat_id for c in bot.api.calls if "جلسهٔ محله" in c.text and c.chat_id != ADMIN.id
    )
    assert all(copies[p.id] >= 1 for p in people)  # nobody skipped
    assert sum(copies.values()) == len(people) + 1  # one duplicate: the one in flight


async def test_scheduled_broadcast_goes_out_when_the_clock_gets_there(bot):
    people = await residents(bot, 2, "esmaeilabad", 9000)
    calls = await compose(bot, ADMIN, ["bc:a:all"], "یادآوری جلسه")
    calls = await bot.press(ADMIN, "bc:sched", on=calls[-1])
    assert "۱۴۰۴/۱۰/۰۱" in calls[-1].text  # the example is tomorrow, in Jalali
    calls = await bot.send(ADMIN, "۱۴۰۴/۰۹/۲۹ ۱۰:۰۰")
    assert calls[-1].text == texts_fa.SCHEDULE_PAST
    calls = await bot.send(ADMIN, "فردا")
    assert "نفهمیدم" in calls[-1].text
    calls = await bot.send(ADMIN, "۱۴۰۴/۱۰/۰۱ ۱۸:۳۰")
    assert "۱ دی ۱۴۰۴، ساعت ۱۸:۳۰" in calls[-1].text
    calls = await bot.press(ADMIN, "bc:send", on=calls[-1])
    assert "زمان‌بندی شد" in texts(calls)
    await broadcasts.tick(bot.app)
    await bot.app.delivery.drain()
    assert all("یادآوری جلسه" not in t for t in received(bot, people))
    await bot.restart()  # the schedule is in the database
    bot.clock.advance(days=1, hours=5)  # 1404/10/01 15:00 Tehran: not yet
    await broadcasts.tick(bot.app)
    assert all("یادآوری جلسه" not in t for t in received(bot, people))
    bot.clock.advance(hours=4)
    await broadcasts.tick(bot.app)
    await bot.app.delivery.drain()
    assert all("یادآوری جلسه" in t for t in received(bot, people))


async def test_personal_notices_go_before_a_broadcast(bot, resident):
    await residents(bot, 5, "aminabad", 10000)
    bot.auto_deliver = False
    summary = (await compose(bot, ADMIN, ["bc:a:all"]))[-1]
    await bot.press(ADMIN, "bc:send", on=summary)
    await register(bot, resident)
    await file_report(bot, resident)
    claimed = await bot.app.storage.claim_due(2)
    assert [row.priority for row in claimed] == [0, 0]  # the ticket's confirmation and card


async def test_document_announcement_and_a_facilitators_own_list(bot):
    await bot.app.storage.grant_role(FACILITATOR.id, "facilitator", "aminabad", ADMIN.id)
    people = await residents(bot, 2, "aminabad", 11000)
    await residents(bot, 1, "shahr_qaem", 12000)
    calls = await bot.send(FACILITATOR, "/broadcast")
    await bot.press(FACILITATOR, "bc:a:ok", on=calls[-1])
    document = {"file_id": "BQACpdf", "file_unique_id": "d1", "file_name": "barname.pdf"}
    calls = await bot.send_raw(FACILITATOR, document=document, caption="برنامهٔ جلسات آذر")
    assert "<b>۲</b>" in calls[-1].text  # only the facilitator's neighborhood
    await bot.press(FACILITATOR, "bc:send", on=calls[-1])
    for person in people:
        copy = bot.api.last_to(person.id)
        assert (copy.method, copy.params["document"]) == ("sendDocument", "BQACpdf")
    await compose(bot, ADMIN, ["bc:a:all"], "اطلاعیهٔ مدیر")
    await bot.press(ADMIN, "bc:send")
    listed = (await bot.send(FACILITATOR, "/broadcasts"))[-1].text
    assert "#۱" in listed
    assert "#۲" not in listed  # the admin's announcement is not the facilitator's


async def test_a_months_old_broadcast_leaves_the_outbox_and_keeps_its_figures(bot, resident):
    people = await residents(bot, 3, "aminabad", 5000)
    bot.api.blocked.add(people[0].id)
    await register(bot, resident)
    await file_report(bot, resident)  # a ticket's messages stay: replies to them still count
    calls = await compose(bot, ADMIN, ["bc:a:n:aminabad"])
    await bot.press(ADMIN, "bc:send", on=calls[-1])
    await broadcasts.tick(bot.app)
    (broadcast,) = await bot.app.storage.broadcasts_in("done")
    before = await bot.app.storage.outbox_counts(broadcast.id)
    assert before == {"sent": 2, "blocked": 1}
    listed = (await bot.send(ADMIN, "/broadcasts"))[-1].text
    everything = await bot.app.storage.outbox_counts()

    bot.clock.advance(days=29)
    assert (
        await bot.app.storage.prune_broadcast_copies(bot.clock.now() - broadcasts.COPIES_KEPT) == 0
    )
    bot.clock.advance(days=2)
    (daily,) = bot.app.job_queue.get_jobs_by_name("prune")
    await daily.run(bot.app)  # the daily job, as the job queue runs it
    assert await bot.app.storage.outbox_counts(broadcast.id) == before
    assert (await bot.send(ADMIN, "/broadcasts"))[-1].text == listed
    left = await bot.app.storage.outbox_counts()
    assert sum(left.values()) == sum(everything.values()) - 3  # the ticket's messages stay
    card = card_in(bot, MUNICIPALITY_CHAT)
    ticket_id = await bot.app.storage.ticket_of_message(MUNICIPALITY_CHAT, card.message_id)
    assert ticket_id is not None
