"""Who may do what (`bot.access`): the decisions as a table, the roles' table and its migration,
and end to end: a facilitator of another neighborhood refused, a supervisor who reads and never
acts."""

import sqlite3
from collections.abc import Callable

import pytest

from bot import storage as storage_module
from bot import texts_fa
from bot.access import PROVINCE, Access, Role, Scope
from bot.storage import StaffRole, Storage, Ticket
from tests.conftest import ADMIN
from tests.flows import file_report, register
from tests.harness import Call, Harness, Person, texts

# ---------------------------------------------------------------- the decisions, as a table

ADMIN_ID, QAEM, AMIN, CLERK, MEMBER, SUPERVISOR, BOTH, RESIDENT = range(1, 9)
GROUPS = {"municipality": -100111, "water": -100222}
ROLES = [
    StaffRole(QAEM, Role.FACILITATOR, "shahr_qaem"),
    StaffRole(AMIN, Role.FACILITATOR, "aminabad"),
    StaffRole(CLERK, Role.AGENCY, "municipality"),
    StaffRole(SUPERVISOR, Role.SUPERVISOR, PROVINCE),
    StaffRole(BOTH, Role.SUPERVISOR, PROVINCE),
    StaffRole(BOTH, Role.FACILITATOR, "aminabad"),
]


def ticket(neighborhood: str = "shahr_qaem", agency: str = "municipality") -> Ticket:
    """A ticket of `neighborhood`, routed to `agency` (only those two fields decide access)."""
    fields = dict.fromkeys(Ticket.__dataclass_fields__)
    fields.update(id=1, code="482317", neighborhood=neighborhood, agency=agency)
    return Ticket(**fields)


def access(user_id: int) -> Access:
    mine = [role for role in ROLES if role.user_id == user_id]
    return Access.of(user_id, mine, admins={ADMIN_ID}, agency_chat=GROUPS.get)


ACTIONS: dict[str, Callable[[Access], bool]] = {
    "triage": lambda a: a.may_triage(ticket()),
    "read": lambda a: a.may_read(ticket()),
    "read a ticket of Darvazeh-Rey": lambda a: a.may_read(ticket("darvazeh_rey")),
    "see the resident's contact": lambda a: a.sees_contact(ticket()),
    "act for the agency in a private chat": lambda a: a.may_act_as_agency(ticket(), a.user_id),
    "act for the agency in its group": lambda a: a.may_act_as_agency(ticket(), -100111),
    "act for the agency in another group": lambda a: a.may_act_as_agency(ticket(), -100222),
    "broadcast": lambda a: a.may_broadcast,
    "address Shahr-e Qaem": lambda a: a.may_address({"neighborhoods": ["shahr_qaem"]}),
    "address everyone": lambda a: a.may_address({"all": True}),
    "address the agency groups": lambda a: a.may_address({"agencies": True}),
    "stop Shahr-e Qaem's facilitator's announcement": lambda a: a.may_stop(
        QAEM, {"neighborhoods": ["shahr_qaem"]}
    ),
    "manage staff": lambda a: a.may_manage_staff,
    "read chat ids": lambda a: a.is_staff,
}
# Whoever presses a card in the agency's group acts for it: Telegram vouches for the chat.
IN_THE_GROUP = {"act for the agency in its group"}
STAFF = {"read chat ids"} | IN_THE_GROUP
OFFICE = {"triage", "read", "see the resident's contact", "broadcast", "address Shahr-e Qaem"}
ANYWHERE = {"act for the agency in a private chat", "act for the agency in another group"}
PROVINCE_WIDE = {"read", "read a ticket of Darvazeh-Rey"}
ALLOWED = {
    "a resident": (RESIDENT, IN_THE_GROUP),
    "a member of the agency's group": (MEMBER, IN_THE_GROUP),
    "the super-admin": (ADMIN_ID, set(ACTIONS) - ANYWHERE),
    "the facilitator of Shahr-e Qaem": (
        QAEM,
        STAFF | OFFICE | {"stop Shahr-e Qaem's facilitator's announcement"},  # their own
    ),
    "a facilitator of another neighborhood": (AMIN, STAFF | {"broadcast"}),
    "the municipality's clerk": (CLERK, STAFF | ANYWHERE),
    "a supervisor": (SUPERVISOR, STAFF | PROVINCE_WIDE),
    "a supervisor who facilitates another neighborhood": (
        BOTH,
        STAFF | PROVINCE_WIDE | {"broadcast"},
    ),
}


@pytest.mark.parametrize("person", ALLOWED)
def test_who_may_do_what(person):
    user_id, expected = ALLOWED[person]
    allowed = {name for name, may in ACTIONS.items() if may(access(user_id))}
    assert allowed == expected


def test_a_scope_is_some_keys_or_all():
    assert "x" in Scope.ALL
    assert "x" not in Scope.NONE
    assert "x" in Scope(frozenset({"x"}))
    assert [bool(Scope.ALL), bool(Scope.NONE), bool(Scope(frozenset({"x"})))] == [True, False, True]
    assert Scope.ALL.among(["b", "a"]) == ["b", "a"]  # the catalog's order
    assert Scope(frozenset({"b", "a"})).among(["c"]) == ["a", "b"]
    assert Scope(frozenset({"a"})).sole() == "a"
    assert Scope(frozenset({"a", "b"})).sole() is Scope.ALL.sole() is None


# ---------------------------------------------------------------- the roles' table

BEFORE_SUPERVISORS = 7  # the schema version whose staff_roles CHECKed role IN (facilitator, agency)


async def test_the_migration_keeps_every_role_and_lets_a_new_one_in(tmp_path, monkeypatch):
    path = tmp_path / "old.db"
    migrations = storage_module.MIGRATIONS
    monkeypatch.setattr(storage_module, "MIGRATIONS", migrations[:BEFORE_SUPERVISORS])
    old = Storage(path)
    await old.connect()
    await old.grant_role(400001, "facilitator", "shahr_qaem", 900001)
    await old.grant_role(400001, "facilitator", "aminabad", 900001)
    await old.grant_role(300001, "agency", "municipality", None)
    with pytest.raises(sqlite3.IntegrityError, match="CHECK"):  # what the old table did
        await old.grant_role(500001, "supervisor", PROVINCE, 900001)
    before = await old._fetchall("SELECT * FROM staff_roles ORDER BY user_id, scope")
    await old.close()
    monkeypatch.undo()

    new = Storage(path)
    await new.connect()
    assert await new.schema_version() == len(migrations) > BEFORE_SUPERVISORS
    after = await new._fetchall("SELECT * FROM staff_roles ORDER BY user_id, scope")
    assert [tuple(row) for row in after] == [tuple(row) for row in before]  # who granted, when
    assert await new.roles_of(400001) == [
        StaffRole(400001, Role.FACILITATOR, "aminabad"),
        StaffRole(400001, Role.FACILITATOR, "shahr_qaem"),
    ]
    await new.grant_role(500001, Role.SUPERVISOR, PROVINCE, 900001)
    assert await new.staff(Role.SUPERVISOR) == [StaffRole(500001, Role.SUPERVISOR, PROVINCE)]
    (index,) = await new._fetchall(
        "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'staff_roles'"
        " AND sql IS NOT NULL"
    )
    assert "(role, scope)" in index["sql"]
    (table,) = await new._fetchall("SELECT sql FROM sqlite_master WHERE name = 'staff_roles'")
    assert "CHECK" not in table["sql"]
    await new.close()


@pytest.mark.parametrize(
    ("role", "scope"),
    [
        ("owner", "shahr_qaem"),  # no such role
        ("supervisor", "shahr_qaem"),  # a supervisor's scope is the province
        ("facilitator", PROVINCE),  # a facilitator's is one neighborhood
        ("agency", ""),
    ],
)
async def test_the_database_takes_only_a_known_role_in_a_scope_that_suits_it(tmp_path, role, scope):
    storage = Storage(tmp_path / "m.db")
    await storage.connect()
    with pytest.raises(ValueError, match=role):
        await storage.grant_role(500001, role, scope, None)
    assert await storage.staff() == []
    await storage.close()


async def test_a_role_written_by_a_newer_version_grants_nothing_here(tmp_path, caplog):
    storage = Storage(tmp_path / "m.db")
    await storage.connect()
    await storage._write(
        "INSERT INTO staff_roles (user_id, role, scope, created_at) VALUES (1, 'mayor', '*', '')"
    )
    await storage.grant_role(1, "agency", "water", None)
    assert await storage.roles_of(1) == [StaffRole(1, Role.AGENCY, "water")]
    assert "Ignored unknown role 'mayor'" in caplog.text
    await storage.close()


# ---------------------------------------------------------------- end to end

OFFICE_OF_QAEM = Person(400001, "تسهیل‌گر")
OFFICE_OF_AMIN = Person(400002, "تسهیل‌گر امین‌آباد")
GOVERNORATE = Person(500001, "ناظر فرمانداری")
NEIGHBOR = Person(222333444, "حسن")
PHONE = "09121234567"
PROBLEM = "یک موضوع دیگر در محله ما"
# Every triage button: view, the two submenus, approve, reassign, close, hide text and media,
# mute, and the start of editing the text.
TRIAGE = ("v", "as", "cl", "ok", "to:water", "cx:0", "ht", "hm", "mu", "ed")


async def waiting_ticket(bot: Harness, person: Person, neighborhood: str) -> Ticket:
    """A ticket of `person` (registered in `neighborhood` with a phone) waiting for review."""
    await register(bot, person, neighborhood, phone=PHONE)
    await file_report(bot, person, category="other", text=PROBLEM)
    (ticket,) = await bot.app.storage.tickets_of_resident(person.id, 1, 0)
    assert ticket.status == "review"
    return ticket


def the_answer(calls: list[Call]) -> Call:
    (answer,) = [c for c in calls if c.method == "answerCallbackQuery"]
    return answer


async def refused_everything(bot: Harness, person: Person, ticket: Ticket, actions) -> None:
    """Each triage button pressed by `person` is refused with an alert and changes nothing:
    the ticket and its resident as they were, nothing sent anywhere but the refusal."""
    resident = await bot.app.storage.get_resident(ticket.resident_id)
    before = len(bot.api.calls)
    for action in actions:
        answer = the_answer(await bot.press(person, f"f:{ticket.id}:{action}"))
        assert (answer.params["text"], answer.params["show_alert"]) == (
            texts_fa.NOT_ALLOWED,
            True,
        ), action
    assert {c.method for c in bot.api.calls[before:]} == {"answerCallbackQuery"}
    assert await bot.app.storage.get_ticket(ticket.id) == ticket
    assert await bot.app.storage.get_resident(ticket.resident_id) == resident
    assert "editing_ticket" not in bot.app.user_data.get(person.id, {})


async def test_a_facilitator_of_another_neighborhood_is_refused_every_triage_button(bot, resident):
    await bot.app.storage.grant_role(OFFICE_OF_QAEM.id, "facilitator", "shahr_qaem", ADMIN.id)
    await bot.app.storage.grant_role(OFFICE_OF_AMIN.id, "facilitator", "aminabad", ADMIN.id)
    ticket = await waiting_ticket(bot, resident, "shahr_qaem")
    await refused_everything(bot, OFFICE_OF_AMIN, ticket, TRIAGE)
    calls = await bot.send(OFFICE_OF_AMIN, PROBLEM + " (ویرایش)")  # no edit was started
    assert texts_fa.TEXT_EDITED.split("{")[0] not in texts(calls)
    code = f"{ticket.code[:3]}-{ticket.code[3:]}"
    assert (await bot.send(OFFICE_OF_AMIN, f"/ticket {code}"))[-1].text == texts_fa.TICKET_NOT_FOUND
    assert (await bot.send(OFFICE_OF_AMIN, "/queue"))[-1].text == texts_fa.QUEUE_EMPTY
    # The same buttons are the ticket's own office's: none of them is refused to it.
    for action in TRIAGE:
        answer = the_answer(await bot.press(OFFICE_OF_QAEM, f"f:{ticket.id}:{action}"))
        assert answer.params.get("text") != texts_fa.NOT_ALLOWED, action
    assert (await bot.app.storage.get_ticket(ticket.id)).status != "review"


async def test_a_supervisor_reads_the_whole_provinces_queue_and_tickets_and_acts_on_none(
    bot, resident
):
    await bot.app.storage.grant_role(OFFICE_OF_QAEM.id, "facilitator", "shahr_qaem", ADMIN.id)
    ticket = await waiting_ticket(bot, resident, "shahr_qaem")
    elsewhere = await waiting_ticket(bot, NEIGHBOR, "aminabad")  # no facilitator there
    await bot.send(ADMIN, f"/grant supervisor {GOVERNORATE.id}")

    queue = (await bot.send(GOVERNORATE, "/queue"))[-1]
    assert [data for _, data in queue.buttons] == [f"f:{ticket.id}:v", f"f:{elsewhere.id}:v"]
    page = (await bot.press(GOVERNORATE, f"f:{ticket.id}:v", on=queue))[-1]
    code = f"{ticket.code[:3]}-{ticket.code[3:]}"
    found = (await bot.send(GOVERNORATE, f"/ticket {code}"))[-1]
    office = (await bot.send(OFFICE_OF_QAEM, f"/ticket {code}"))[-1]
    for card in (page, found):
        assert PROBLEM in card.text
        assert card.buttons == []  # nothing to press
        assert PHONE[1:] not in card.text  # the office calls residents back, not the governorate
        assert resident.first_name not in card.text
    assert office.buttons
    assert PHONE[1:] in office.text
    assert resident.first_name in office.text

    await refused_everything(bot, GOVERNORATE, ticket, TRIAGE[1:])
    await refused_everything(bot, GOVERNORATE, elsewhere, TRIAGE[1:])
    answer = the_answer(await bot.press(GOVERNORATE, f"a:{ticket.id}:ack"))  # an agency's button
    assert answer.params["text"] == texts_fa.NOT_ALLOWED
    calls = await bot.send(GOVERNORATE, "/broadcast")
    assert calls[-1].text == texts_fa.BROADCAST_ONLY_STAFF
    assert await bot.app.storage.get_ticket(ticket.id) == ticket
