"""Forged callback data with odd numbers: a 30-digit id (more than SQLite holds), «²» (a digit to
str.isdigit(), not to int()), Persian digits, negative or empty parts. Every press is answered
with an alert and changes nothing; no handler raises (the harness fails a test on any)."""

import pytest

from bot import texts_fa
from tests.conftest import ADMIN, MUNICIPALITY_CHAT
from tests.flows import card_in, file_report, register
from tests.harness import Call, Harness, Person
from tests.test_agency import CLERK, FACILITATOR, NEIGHBOR, setup_ticket

BIG = "9" * 30
ODD = (BIG, "²", "۳", "-5", "")
REFUSALS = {
    texts_fa.BUTTON_EXPIRED,
    texts_fa.BUTTON_INVALID,
    texts_fa.NOT_ALLOWED,
    texts_fa.NOT_YOUR_TICKET,
}

# Per family: who presses, and the forged data ({n}: an odd number, {t}: the real ticket id).
FAMILIES = {
    "agency": ["a:{n}:ack", "a:{n}:no:0", "a:{t}:no:{n}", "a:{t}:cr:{n}", "a:{t}:ack:{n}", "a:"],
    "facilitator": ["f:{n}:ok", "f:{n}:ed", "f:{t}:cx:{n}", "f:q:{n}", "f:{n}:v"],
    "my reports": ["r:{n}:v", "r:{n}:i", "r:{n}:n", "r:{n}:y", "r:{t}:s:{n}", "r:l:{n}"],
    "broadcast": ["bc:stop:{n}", "bc:a:n:{n}"],
    "report": ["rp:j:{n}", "rp:c:{n}"],  # pressed under the «من هم» offer
    "settings": ["set:nb:{n}", "nb:{n}"],
}


def the_answer(calls: list[Call]) -> Call:
    answers = [c for c in calls if c.method == "answerCallbackQuery"]
    assert len(answers) == 1, calls
    return answers[0]


@pytest.mark.parametrize("family", FAMILIES)
async def test_forged_numbers_in_callback_data_are_answered_and_change_nothing(
    bot: Harness, resident: Person, family: str
):
    ticket = await setup_ticket(bot, resident)
    card = card_in(bot, MUNICIPALITY_CHAT)
    presser, on = {
        "agency": (CLERK, card),  # in the agency's group: authorised for the real ticket
        "facilitator": (FACILITATOR, None),
        "broadcast": (ADMIN, None),
        "report": (NEIGHBOR, None),
    }.get(family, (resident, None))
    if family == "report":  # a neighbor reports the same problem and is offered to join
        await register(bot, NEIGHBOR)
        on = (await file_report(bot, NEIGHBOR))[-1]
        assert on.data_for("من هم") == "rp:j"  # the offer itself is kept by the bot
    for template in FAMILIES[family]:
        for odd in ODD:
            data = template.format(n=odd, t=ticket.id)
            answer = the_answer(await bot.press(presser, data, on=on))
            assert answer.params.get("show_alert"), data
            assert answer.params["text"] in REFUSALS, data
    after = await bot.app.storage.get_ticket(ticket.id)
    assert (after.status, after.supporters, after.rating) == ("new", 0, None)


async def test_a_queue_page_pressed_by_a_resident_is_answered(bot, resident):
    await register(bot, resident)
    answer = the_answer(await bot.press(resident, "f:q:1"))
    assert answer.params["text"] == texts_fa.FACILITATOR_ONLY
