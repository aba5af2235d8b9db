import pytest

from tests.harness import Harness, Person

ADMIN = Person(900001, "مدیر")
MUNICIPALITY_CHAT = -100111
WATER_CHAT = -100222


@pytest.fixture
async def bot(tmp_path):
    harness = Harness(
        tmp_path / "mahalleh.db",
        admins=frozenset({ADMIN.id}),
        agency_chats={"municipality": MUNICIPALITY_CHAT, "water": WATER_CHAT},
    )
    await harness.start()
    yield harness
    await harness.stop()


@pytest.fixture
def resident() -> Person:
    return Person(111222333, "زهرا")
