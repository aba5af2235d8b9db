"""Whole flows a test can reuse: register a resident, file a report, back one."""

from typing import Any

from bot import texts_fa
from bot.handlers.onboarding import CHOOSE_PREFIX
from tests.harness import Call, Harness, Person

PHOTO = [
    {"file_id": "AgACsmall", "file_unique_id": "s1", "width": 90, "height": 60},
    {"file_id": "AgACbig", "file_unique_id": "b1", "width": 1280, "height": 960},
]


async def register(bot: Harness, person: Person, neighborhood="shahr_qaem", phone=None) -> None:
    calls = await bot.send(person, "/start")
    await bot.press(person, CHOOSE_PREFIX + neighborhood, on=calls[-1])
    if phone:
        await bot.send_contact(person, phone, owner_id=person.id)
    else:
        await bot.send(person, texts_fa.BUTTON_SKIP_PHONE)


async def file_report(
    bot: Harness,
    person: Person,
    category="waste",
    text="زباله‌ها سه روز است جمع نشده و بوی بد می‌دهد",
    photos=0,
    location: tuple[float, float] | None = None,
    address: str | None = None,
    share=False,
) -> list[Call]:
    """Walk the report flow to the review card and confirm; returns the confirm's calls."""
    calls = await bot.send(person, texts_fa.MENU_REPORT)
    await bot.press(person, f"rp:c:{category}", on=calls[-1])
    await bot.send(person, text)
    for _ in range(photos):
        await bot.send_raw(person, photo=PHOTO)
    if photos < 3:
        await bot.send(person, texts_fa.BUTTON_CONTINUE)
    if location:
        calls = await bot.send_raw(
            person, location={"latitude": location[0], "longitude": location[1]}
        )
    elif address:
        calls = await bot.send(person, address)
    else:
        calls = await bot.send(person, texts_fa.BUTTON_SKIP)
    review = calls[-1]
    if share:
        review = (await bot.press(person, "rp:sh", on=review))[-1]
    return await bot.press(person, "rp:ok", on=review)


async def back(bot: Harness, supporter: Person, **report: Any) -> Call:
    """The supporter files the same problem and presses «من هم» on the bot's offer; returns the
    offer."""
    offer = (await file_report(bot, supporter, **report))[-1]
    await bot.press(supporter, offer.data_for("من هم"), on=offer)
    return offer


def card_in(bot: Harness, chat_id: int) -> Call:
    """The last ticket card sent to an agency chat."""
    cards = [c for c in bot.api.sent_to(chat_id) if c.method == "sendMessage" and c.buttons]
    assert cards, f"no card in {chat_id}"
    return cards[-1]
