"""Who may do what (`bot.access`): the decisions as a table, the roles' table and its migration,
and end to end: a facilitator of another neighborhood refused, a supervisor who reads and never
acts."""

import sqlite3

import pytest

from bot import storage as storage_module
from bot.access import PROVINCE, Role
from bot.storage import StaffRole, Storage

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
