"""Start-up duties: the command menus, schema migrations, polling that survives a bad update,
persistence that brings every flow back, and a log that carries what an operator needs."""

import asyncio
import logging
import re

from bot import delivery, texts_fa
from bot.__main__ import configure_logging
from bot.app import build_application
from bot.application import BotContext
from bot.commands import publish_commands
from config.catalog import load_catalog
from tests.conftest import ADMIN
from tests.flows import register
from tests.harness import CATALOG_PATH, Harness, Person


async def test_command_menus_in_persian_for_residents_and_staff(bot):
    await bot.app.storage.grant_role(555, "facilitator", "aminabad", ADMIN.id)
    await publish_commands(bot.app.bot, bot.app.storage, bot.app.settings.admin_ids)
    calls = [c for c in bot.api.calls if c.method == "setMyCommands"]
    scopes = {
        (c.params["scope"]["type"], c.params["scope"].get("chat_id"), c.params.get("language_code"))
        for c in calls
    }
    assert ("all_private_chats", None, "fa") in scopes
    assert ("chat", ADMIN.id, "fa") in scopes
    assert ("chat", 555, "fa") in scopes
    by_scope = {(c.params["scope"].get("chat_id"), c.params.get("language_code")): c for c in calls}
    resident_menu = [cmd["command"] for cmd in by_scope[(None, "fa")].params["commands"]]
    admin_menu = [cmd["command"] for cmd in by_scope[(ADMIN.id, "fa")].params["commands"]]
    staff_menu = [cmd["command"] for cmd in by_scope[(555, "fa")].params["commands"]]
    assert resident_menu == ["start", "help", "cancel", "myid"]
    assert "chatid" in staff_menu
    assert "grant" not in staff_menu
    assert {"grant", "revoke", "staff"} <= set(admin_menu)
    description = by_scope[(None, "fa")].params["commands"][0]["description"]
    assert description == "شروع و منوی اصلی"


async def test_command_menu_refused_is_not_fatal(bot, caplog):
    for _ in range(4):
        bot.api.fail_next("setMyCommands", 400, "Bad Request: method not supported")
    await publish_commands(bot.app.bot, bot.app.storage, bot.app.settings.admin_ids)
    assert "refused" in caplog.text


async def test_migrations_are_idempotent(tmp_path):
    harness = Harness(tmp_path / "m.db")
    await harness.start()
    version = await harness.app.storage.schema_version()
    await harness.restart()
    assert await harness.app.storage.schema_version() == version >= 1
    await harness.stop()


async def test_a_bad_update_costs_only_itself(bot, resident):
    # A poll as a server lagging Bot API 9.6 sends it: no `persistent_id`.
    poll = {
        "id": "1",
        "question": "?",
        "options": [{"text": "a", "voter_count": 0}],
        "total_voter_count": 0,
        "is_closed": False,
        "is_anonymous": True,
        "type": "regular",
        "allows_multiple_answers": False,
    }
    bad = {"update_id": 41, "poll": poll}
    good = {
        "update_id": 42,
        "message": {
            "message_id": 2,
            "date": 1766300000,
            "chat": {"id": resident.id, "type": "private"},
            "from": resident.json,
            "text": "/start",
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        },
    }
    bot.api.updates = [good | {"update_id": 40}, bad, good]
    updates = await bot.app.bot.get_updates(offset=40, timeout=0)
    assert [u.update_id for u in updates] == [40, 41, 42]
    assert updates[1].poll is None  # the unreadable one, emptied
    for update in updates:
        await bot.app.process_update(update)
    assert "خوش آمدید" in bot.api.sent_to(resident.id)[0].text


async def test_every_flow_of_a_persistence_run_is_saved_and_ended_ones_deleted(bot):
    people = [Person(700 + i, f"ساکن {i}") for i in range(5)]
    for person in people:
        await register(bot, person)
        await bot.send(person, texts_fa.MENU_REPORT)
    await bot.app.update_persistence()  # one run: five users' data, ten conversation changes
    reports = await bot.app.storage.load_state("conversation:report")
    assert sorted(reports) == sorted(f"[{p.id}, {p.id}]" for p in people)
    assert await bot.app.storage.load_state("conversation:onboarding") == {}  # all finished
    await bot.restart()
    for person in people:
        calls = await bot.press(person, "rp:c:waste")
        assert calls[-1].text == texts_fa.ASK_DESCRIPTION


def test_the_info_log_leaves_out_the_schedulers_heartbeat():
    configure_logging("INFO")
    assert not logging.getLogger("apscheduler.executors.default").isEnabledFor(logging.INFO)


async def test_a_minutes_summary_of_what_went_out_and_what_waited(bot, resident, caplog):
    await register(bot, resident)
    bot.api.fail_next("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
    await bot.send(resident, "/help")
    with caplog.at_level(logging.INFO, logger="bot.delivery"):
        await delivery.log_minute(BotContext(bot.app))
        summary = re.search(r"(\d+) replies, (\d+) notices.* (\d+) answered 429", caplog.text)
        assert summary is not None
        assert int(summary[1]) >= 4
        assert summary[3] == "1"
        caplog.clear()
        await delivery.log_minute(BotContext(bot.app))  # a quiet minute: no line
        assert caplog.text == ""


async def test_a_stop_during_start_up_ends_the_start_before_closing_the_database(tmp_path):
    harness = Harness(tmp_path / "stop.db")
    app = build_application(harness.settings(), load_catalog(CATALOG_PATH), request=harness.api)
    entered, never = asyncio.Event(), asyncio.Event()
    real_keys_in_use = app.storage.keys_in_use

    async def slow_keys_in_use():  # start-up caught in the middle, as by SIGTERM
        entered.set()
        await never.wait()
        return await real_keys_in_use()

    app.storage.keys_in_use = slow_keys_in_use
    starting = asyncio.create_task(app.initialize())
    await entered.wait()
    await app.shutdown()  # what python-telegram-bot does after a stop signal
    assert starting.cancelled()
    assert app.storage._db is None  # closed, with nothing left writing to it
