"""The super-admin's side: giving and taking staff roles, the staff list, and the two ids people
read out to an admin (/myid in a private chat, /chatid in an agency's group)."""

import sqlite3
from typing import Any

import pytest

from bot import texts_fa
from bot.commands import ADMIN_COMMANDS, RESIDENT_COMMANDS, STAFF_COMMANDS, SUPERVISOR_COMMANDS
from bot.storage import StaffRole
from tests.conftest import ADMIN, MUNICIPALITY_CHAT
from tests.flows import register
from tests.harness import Call, Harness, Person

NEWCOMER = Person(555001, "سارا")
CLERK = Person(300001, "کارمند شهرداری")


def neighborhood_name(bot: Harness, key: str) -> str:
    return bot.app.catalog.neighborhood(key).name


def agency_name(bot: Harness, key: str) -> str:
    return bot.app.catalog.agency(key).name


def menu_given_to(bot: Harness, user_id: int) -> list[str]:
    """The commands of the last menu the bot set for one person's chat."""
    menus = [
        c
        for c in bot.api.calls
        if c.method == "setMyCommands" and c.params["scope"].get("chat_id") == user_id
    ]
    assert menus, f"no menu was set for {user_id}"
    return [command["command"] for command in menus[-1].params["commands"]]


def commands(menu) -> list[str]:
    return [command.command for command in menu]


def in_group(bot: Harness, person: Person, text: str, chat_id: int) -> dict[str, Any]:
    """A command typed in a group chat, as Telegram sends it."""
    data = bot.message(
        person,
        text=text,
        entities=[{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}],
    )
    data["message"]["chat"] = {"id": chat_id, "type": "supergroup", "title": "گروه"}
    return data


def only_reply(calls: list[Call]) -> Call:
    replies = [c for c in calls if c.method == "sendMessage"]
    assert len(replies) == 1, replies
    return replies[0]


# ---------------------------------------------------------------- granting


async def test_admin_makes_someone_a_facilitator_who_then_gets_the_staff_menu(bot):
    calls = await bot.send(ADMIN, f"/grant facilitator {NEWCOMER.id} shahr_qaem")
    assert only_reply(calls).text == texts_fa.GRANTED.format(
        role=texts_fa.ROLE_NAMES["facilitator"],
        scope=neighborhood_name(bot, "shahr_qaem"),
        user_id=NEWCOMER.id,
    )
    assert await bot.app.storage.roles_of(NEWCOMER.id) == [
        StaffRole(NEWCOMER.id, "facilitator", "shahr_qaem")
    ]
    assert menu_given_to(bot, NEWCOMER.id) == commands(STAFF_COMMANDS)


async def test_admin_makes_someone_agency_staff_typing_the_id_in_persian_digits(bot):
    calls = await bot.send(ADMIN, "/grant agency ۳۰۰۰۰۱ municipality")
    assert only_reply(calls).text == texts_fa.GRANTED.format(
        role=texts_fa.ROLE_NAMES["agency"],
        scope=agency_name(bot, "municipality"),
        user_id=CLERK.id,
    )
    assert await bot.app.storage.has_role(CLERK.id, "agency", "municipality")
    assert menu_given_to(bot, CLERK.id) == commands(STAFF_COMMANDS)


async def test_an_admin_granted_a_role_keeps_the_admin_menu(bot):
    await bot.send(ADMIN, f"/grant facilitator {ADMIN.id} aminabad")
    assert menu_given_to(bot, ADMIN.id) == commands(ADMIN_COMMANDS)


async def test_granting_the_same_role_twice_keeps_one(bot):
    for _ in range(2):
        await bot.send(ADMIN, f"/grant facilitator {NEWCOMER.id} aminabad")
    assert await bot.app.storage.roles_of(NEWCOMER.id) == [
        StaffRole(NEWCOMER.id, "facilitator", "aminabad")
    ]


@pytest.mark.parametrize(
    "arguments",
    [
        "",  # nothing
        "facilitator 555001",  # no key
        "facilitator 555001 shahr_qaem extra",  # one word too many
        "supervisor 555001 shahr_qaem",  # no such role
        "facilitator سارا shahr_qaem",  # a name, not an id
        "facilitator -555001 shahr_qaem",  # not a user id
        "facilitator 555001 qom_center",  # unknown neighborhood
        "agency 555001 bakery",  # unknown agency
        "facilitator 555001 municipality",  # an agency's key for a neighborhood role
        "agency 555001 shahr_qaem",  # a neighborhood's key for an agency role
    ],
)
async def test_grant_with_wrong_words_shows_how_and_changes_nothing(bot, arguments):
    calls = await bot.send(ADMIN, f"/grant {arguments}".strip())
    usage = texts_fa.GRANT_USAGE.format(
        neighborhoods=texts_fa.LIST_SEPARATOR.join(
            f"<code>{n.key}</code>" for n in bot.app.catalog.neighborhoods
        ),
        agencies=texts_fa.LIST_SEPARATOR.join(
            f"<code>{a.key}</code>" for a in bot.app.catalog.agencies
        ),
    )
    assert only_reply(calls).text == usage
    assert "<code>shahr_qaem</code>" in usage
    assert "<code>municipality</code>" in usage
    assert await bot.app.storage.staff() == []
    assert not [c for c in calls if c.method == "setMyCommands"]


# ---------------------------------------------------------------- revoking


async def test_admin_takes_a_role_back_and_the_menu_shrinks(bot):
    await bot.send(ADMIN, f"/grant facilitator {NEWCOMER.id} shahr_qaem")
    calls = await bot.send(ADMIN, f"/revoke facilitator {NEWCOMER.id} shahr_qaem")
    assert only_reply(calls).text == texts_fa.REVOKED.format(
        role=texts_fa.ROLE_NAMES["facilitator"],
        scope=neighborhood_name(bot, "shahr_qaem"),
        user_id=NEWCOMER.id,
    )
    assert await bot.app.storage.roles_of(NEWCOMER.id) == []
    assert menu_given_to(bot, NEWCOMER.id) == commands(RESIDENT_COMMANDS)


async def test_revoking_one_of_two_roles_keeps_the_other_and_the_staff_menu(bot):
    await bot.send(ADMIN, f"/grant agency {CLERK.id} municipality")
    await bot.send(ADMIN, f"/grant agency {CLERK.id} water")
    await bot.send(ADMIN, f"/revoke agency {CLERK.id} water")
    assert await bot.app.storage.roles_of(CLERK.id) == [
        StaffRole(CLERK.id, "agency", "municipality")
    ]
    assert menu_given_to(bot, CLERK.id) == commands(STAFF_COMMANDS)


async def test_revoking_a_role_nobody_had_says_so(bot):
    await bot.send(ADMIN, f"/grant facilitator {NEWCOMER.id} shahr_qaem")
    menus_before = [c for c in bot.api.calls if c.method == "setMyCommands"]
    calls = await bot.send(ADMIN, f"/revoke facilitator {NEWCOMER.id} aminabad")
    assert only_reply(calls).text == texts_fa.NOT_REVOKED.format(
        role=texts_fa.ROLE_NAMES["facilitator"],
        scope=neighborhood_name(bot, "aminabad"),
        user_id=NEWCOMER.id,
    )
    assert await bot.app.storage.has_role(NEWCOMER.id, "facilitator", "shahr_qaem")
    assert [c for c in bot.api.calls if c.method == "setMyCommands"] == menus_before


@pytest.mark.parametrize(
    "arguments",
    ["", "facilitator", "agency x municipality", "agency 300001 bakery", "owner 300001 water"],
)
async def test_revoke_with_wrong_words_shows_how_and_changes_nothing(bot, arguments):
    await bot.send(ADMIN, f"/grant agency {CLERK.id} municipality")
    calls = await bot.send(ADMIN, f"/revoke {arguments}".strip())
    assert only_reply(calls).text == texts_fa.REVOKE_USAGE
    assert await bot.app.storage.has_role(CLERK.id, "agency", "municipality")


# ---------------------------------------------------------------- the staff list


async def test_staff_list_is_empty_at_first(bot):
    calls = await bot.send(ADMIN, "/staff")
    assert only_reply(calls).text == texts_fa.STAFF_EMPTY


async def test_staff_list_names_each_role_and_its_place(bot):
    await bot.send(ADMIN, f"/grant facilitator {NEWCOMER.id} aminabad")
    await bot.send(ADMIN, f"/grant agency {CLERK.id} municipality")
    calls = await bot.send(ADMIN, "/staff")
    assert only_reply(calls).text == "\n".join(
        [
            texts_fa.STAFF_HEADER,
            texts_fa.STAFF_LINE.format(
                user_id=CLERK.id,
                role=texts_fa.ROLE_NAMES["agency"],
                scope=agency_name(bot, "municipality"),
            ),
            texts_fa.STAFF_LINE.format(
                user_id=NEWCOMER.id,
                role=texts_fa.ROLE_NAMES["facilitator"],
                scope=neighborhood_name(bot, "aminabad"),
            ),
        ]
    )


async def test_staff_list_shows_the_key_of_a_place_gone_from_the_catalog(bot):
    await bot.app.storage.grant_role(NEWCOMER.id, "facilitator", "old_town", ADMIN.id)
    calls = await bot.send(ADMIN, "/staff")
    assert only_reply(calls).text.splitlines()[1] == texts_fa.STAFF_LINE.format(
        user_id=NEWCOMER.id, role=texts_fa.ROLE_NAMES["facilitator"], scope="old_town"
    )


# ---------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    "command",
    [
        f"/grant facilitator {NEWCOMER.id} shahr_qaem",
        f"/revoke agency {CLERK.id} municipality",
        "/staff",
    ],
)
async def test_a_resident_or_a_facilitator_may_not_manage_staff(bot, resident, command):
    await register(bot, resident)
    await bot.app.storage.grant_role(CLERK.id, "agency", "municipality", ADMIN.id)
    facilitator = Person(400001, "تسهیل‌گر")
    await bot.app.storage.grant_role(facilitator.id, "facilitator", "shahr_qaem", ADMIN.id)
    for person in (resident, facilitator):
        calls = await bot.send(person, command)
        assert only_reply(calls).text == texts_fa.ADMIN_ONLY
    assert await bot.app.storage.staff() == [
        StaffRole(CLERK.id, "agency", "municipality"),
        StaffRole(facilitator.id, "facilitator", "shahr_qaem"),
    ]


async def test_staff_commands_from_a_non_admin_in_a_group_stay_silent(bot):
    for command in (f"/grant agency {CLERK.id} municipality", "/staff", "/revoke x 1 y"):
        assert await bot.feed(in_group(bot, CLERK, command, MUNICIPALITY_CHAT)) == []
    assert await bot.app.storage.staff() == []


async def test_admin_commands_in_a_group_list_nobody_and_change_nothing(bot):
    await bot.send(ADMIN, f"/grant agency {CLERK.id} municipality")
    before = await bot.app.storage.staff()
    for command in ("/staff", f"/grant facilitator {NEWCOMER.id} shahr_qaem",
                    f"/revoke agency {CLERK.id} municipality"):  # fmt: skip
        calls = await bot.feed(in_group(bot, ADMIN, command, MUNICIPALITY_CHAT))
        assert only_reply(calls).text == texts_fa.ADMIN_PRIVATE_ONLY
    assert await bot.app.storage.staff() == before
    shown = "\n".join(c.text for c in bot.api.sent_to(MUNICIPALITY_CHAT))
    assert str(CLERK.id) not in shown
    calls = await bot.feed(in_group(bot, ADMIN, "/chatid", MUNICIPALITY_CHAT))  # still there
    assert only_reply(calls).text == texts_fa.CHAT_ID.format(chat_id=MUNICIPALITY_CHAT)


# ---------------------------------------------------------------- ids to copy


async def test_anyone_reads_their_own_id_to_give_it_to_an_admin(bot, resident):
    calls = await bot.send(resident, "/myid")
    assert only_reply(calls).text == texts_fa.YOUR_ID.format(user_id=resident.id)


async def test_admin_reads_an_agency_groups_id_with_chatid(bot):
    calls = await bot.feed(in_group(bot, ADMIN, "/chatid", MUNICIPALITY_CHAT))
    reply = only_reply(calls)
    assert reply.chat_id == MUNICIPALITY_CHAT
    assert reply.text == texts_fa.CHAT_ID.format(chat_id=MUNICIPALITY_CHAT)


async def test_agency_staff_may_read_the_group_id_too(bot):
    await bot.send(ADMIN, f"/grant agency {CLERK.id} municipality")
    calls = await bot.feed(in_group(bot, CLERK, "/chatid", MUNICIPALITY_CHAT))
    assert only_reply(calls).text == texts_fa.CHAT_ID.format(chat_id=MUNICIPALITY_CHAT)
    calls = await bot.send(CLERK, "/chatid")  # in a private chat: the chat is the person
    assert only_reply(calls).text == texts_fa.CHAT_ID.format(chat_id=CLERK.id)


async def test_chatid_from_someone_without_a_role_is_ignored(bot, resident):
    assert await bot.feed(in_group(bot, resident, "/chatid", MUNICIPALITY_CHAT)) == []
    await register(bot, resident)
    assert await bot.send(resident, "/chatid") == []


async def test_the_audit_log_names_the_admin_who_granted_and_revoked(bot):
    await bot.send(ADMIN, f"/grant agency {CLERK.id} municipality")
    await bot.send(ADMIN, f"/revoke agency {CLERK.id} municipality")
    with sqlite3.connect(bot.db_path) as db:
        rows = db.execute("SELECT actor, action, detail FROM audit_log ORDER BY id").fetchall()
    assert rows[-2:] == [
        (ADMIN.id, "grant", f"agency:municipality:{CLERK.id}"),
        (ADMIN.id, "revoke", f"agency:municipality:{CLERK.id}"),
    ]


# ---------------------------------------------------------------- supervisors (the governorate)

SUPERVISOR = Person(500001, "ناظر فرمانداری")


def as_supervisor(template: str) -> str:
    return template.format(
        role=texts_fa.ROLE_NAMES["supervisor"], scope=texts_fa.SCOPE_PROVINCE, user_id=SUPERVISOR.id
    )


async def test_admin_makes_someone_a_supervisor_of_the_province_who_gets_a_reading_menu(bot):
    calls = await bot.send(ADMIN, f"/grant supervisor {SUPERVISOR.id}")
    assert only_reply(calls).text == as_supervisor(texts_fa.GRANTED)
    assert await bot.app.storage.roles_of(SUPERVISOR.id) == [
        StaffRole(SUPERVISOR.id, "supervisor", "*")
    ]
    menu = menu_given_to(bot, SUPERVISOR.id)
    assert menu == commands(SUPERVISOR_COMMANDS)
    assert {"queue", "ticket"} <= set(menu)
    assert not {"broadcast", "broadcasts", "grant"} & set(menu)
    calls = await bot.send(ADMIN, "/staff")
    assert only_reply(calls).text.splitlines()[1:] == [
        texts_fa.STAFF_LINE.format(
            user_id=SUPERVISOR.id,
            role=texts_fa.ROLE_NAMES["supervisor"],
            scope=texts_fa.SCOPE_PROVINCE,
        )
    ]


async def test_a_supervisor_who_also_facilitates_gets_the_staff_menu(bot):
    await bot.send(ADMIN, f"/grant supervisor {SUPERVISOR.id}")
    await bot.send(ADMIN, f"/grant facilitator {SUPERVISOR.id} aminabad")
    assert menu_given_to(bot, SUPERVISOR.id) == commands(STAFF_COMMANDS)


async def test_admin_takes_the_supervisor_role_back_and_it_counts_at_once(bot):
    await bot.send(ADMIN, f"/grant supervisor {SUPERVISOR.id}")
    assert (await bot.send(SUPERVISOR, "/queue"))[-1].text == texts_fa.QUEUE_EMPTY
    calls = await bot.send(ADMIN, f"/revoke supervisor {SUPERVISOR.id}")
    assert only_reply(calls).text == as_supervisor(texts_fa.REVOKED)
    assert await bot.app.storage.roles_of(SUPERVISOR.id) == []
    assert menu_given_to(bot, SUPERVISOR.id) == commands(RESIDENT_COMMANDS)
    assert (await bot.send(SUPERVISOR, "/queue"))[-1].text == texts_fa.FACILITATOR_ONLY
    calls = await bot.send(ADMIN, f"/revoke supervisor {SUPERVISOR.id}")
    assert only_reply(calls).text == as_supervisor(texts_fa.NOT_REVOKED)


@pytest.mark.parametrize(
    "arguments",
    [
        "supervisor",  # no id
        "supervisor 500001 shahr_qaem",  # a supervisor's scope is the whole province
        "supervisor 500001 *",
        "supervisor ناظر",  # a name, not an id
    ],
)
async def test_supervisor_grants_and_revocations_with_wrong_words_show_how(bot, arguments):
    calls = await bot.send(ADMIN, f"/grant {arguments}")
    assert "<code>/grant supervisor" in only_reply(calls).text
    calls = await bot.send(ADMIN, f"/revoke {arguments}")
    assert only_reply(calls).text == texts_fa.REVOKE_USAGE
    assert await bot.app.storage.staff() == []


async def test_a_supervisor_may_not_manage_staff(bot):
    await bot.send(ADMIN, f"/grant supervisor {SUPERVISOR.id}")
    for command in (f"/grant supervisor {NEWCOMER.id}", f"/revoke supervisor {SUPERVISOR.id}",
                    "/staff"):  # fmt: skip
        calls = await bot.send(SUPERVISOR, command)
        assert only_reply(calls).text == texts_fa.ADMIN_ONLY
    assert await bot.app.storage.staff() == [StaffRole(SUPERVISOR.id, "supervisor", "*")]


async def test_a_grant_with_an_odd_number_shows_how_instead_of_failing(bot):
    for odd in ("²", "1" * 30, "-5"):
        calls = await bot.send(ADMIN, f"/grant facilitator {odd} shahr_qaem")
        assert texts_fa.GRANT_USAGE.splitlines()[0] in only_reply(calls).text
    assert await bot.app.storage.staff() == []
