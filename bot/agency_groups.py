"""An agency's group the bot cannot reach, reaches again, or that moved to a new id.

- Given up (`give_up`): what could not be delivered to an agency's chat (the bot was removed, the
  group is gone, a card refused or not delivered in time) hands the tickets still waiting there
  back to the facilitators' queue with the reason, in the same transaction that gives the message
  up; facilitators (or the super-admins) get the ticket as the queue's other notices do, its
  followers hear that it waits at the office.
- Back (`chat_back`): when the bot is added to the group again, the tickets it hands back that
  nobody has moved since return to the agency, and the tickets waiting there are offered again.
- Moved (`chat_moved`, `follow`): a group upgraded to a supergroup gets a new id; what it is
  owed goes there, its agencies are linked to it in the database, open cards are offered there.
"""

import logging

from bot import texts_fa, tickets
from bot.application import MahallehApplication
from bot.delivery import GiveUp
from bot.persian import to_persian_digits
from bot.storage import (
    Actor,
    Handback,
    HandbackNotify,
    Media,
    OutboxRow,
    Outgoing,
    Resident,
    Ticket,
)

_LOGGER = logging.getLogger(__name__)
SYSTEM = Actor(None, "", "system")


async def give_up(app: MahallehApplication, row: OutboxRow, error: str, why: GiveUp) -> None:
    """The delivery worker gives `row` up (see `bot.delivery.GiveUp`); if its chat is an
    agency's, the tickets waiting there go back to the facilitators."""
    agencies = tuple(a.key for a in app.agency_chats.agencies_in(row.chat_id))
    handback = Handback(agencies, _handback_notices(app, why)) if agencies else None
    handed = await app.storage.give_up(
        row, error, state=why.state, whole_chat=why.whole_chat, handback=handback
    )
    if handed:
        _LOGGER.warning("%d ticket(s) back to the facilitators' queue, chat %s not reachable: %s",
                        len(handed), row.chat_id, ", ".join(t.code for t in handed))  # fmt: skip


def _handback_notices(app: MahallehApplication, why: GiveUp) -> HandbackNotify:
    notices = app.notices

    def notify(ticket: Ticket, followers: list[int], resident: Resident | None,
               media: list[Media], facilitators: list[int]) -> list[Outgoing]:  # fmt: skip
        agency = notices.agency(ticket.agency)
        reason = texts_fa.QUEUE_REASON_UNDELIVERED.format(
            agency=agency, cause=texts_fa.UNDELIVERED_CAUSE[why.value]
        )
        told = texts_fa.UNDELIVERED_RESIDENT.format(agency=agency)
        return notices.status_notices(ticket, followers, reason=told) + notices.triage(
            ticket, resident, media, facilitators, reason
        )

    return notify


async def chat_back(app: MahallehApplication, chat_id: int) -> int:
    """The bot is a member of `chat_id` again: its agencies' tickets that were handed back for
    want of it return (nobody moved them since), those waiting there are offered again.
    Returns how many cards were offered; the super-admins hear it."""
    storage, notices = app.storage, app.notices
    offered = 0
    for agency in app.agency_chats.agencies_in(chat_id):
        waiting = await storage.tickets_waiting_for(agency.key)
        cards: list[Outgoing] = []
        for ticket in waiting:
            cards += await _offer(app, ticket)
        await storage.enqueue(cards)
        returned = 0
        for ticket in await storage.tickets_handed_back(agency.key):
            resident, media = await _reporter_and_media(app, ticket)

            def notify(changed: Ticket, followers: list[int], resident: Resident | None = resident,
                       media: list[Media] = media) -> list[Outgoing]:  # fmt: skip
                return notices.status_notices(changed, followers) + notices.deliver_to_agency(
                    changed, resident, media
                )

            changed = await storage.update_ticket(
                ticket.id, SYSTEM, "status", notify, status=tickets.NEW,
                expect_status=(tickets.QUEUED,),
            )  # fmt: skip
            returned += changed is not None
        count = len(waiting) + returned
        _LOGGER.warning("The bot is back in %s's chat %s: %d ticket(s) offered again (%d of them "
                        "back from the facilitators' queue)", agency.key, chat_id, count,
                        returned)  # fmt: skip
        text = texts_fa.AGENCY_CHAT_BACK.format(agency=agency.name, count=to_persian_digits(count))
        await storage.enqueue(notices.to_admins(text))
        offered += count
    return offered


async def follow(app: MahallehApplication, row: OutboxRow, new_chat_id: int) -> None:
    """Telegram answered `row` with the group's new id (ChatMigrated): follow it."""
    await chat_moved(app, row.chat_id, new_chat_id)


async def chat_moved(app: MahallehApplication, old: int, new: int) -> int:
    """Group `old` is now supergroup `new`: what it is owed goes there, its agencies are linked
    to it, tickets still open at them get their card there. Returns how many messages moved;
    nothing happens twice (the old chat's and the new chat's service messages both call it)."""
    agencies = app.agency_chats.agencies_in(old)
    cards: list[Outgoing] = []
    for ticket in await app.storage.tickets_with_card_in(old):
        cards += await _offer(app, ticket, chat=new)
    moved = await app.storage.move_chat(old, new, [a.key for a in agencies], cards)
    for agency in agencies:
        app.agency_chats.linked(agency.key, new, f"group {old} became supergroup {new}")
    if moved or cards:
        _LOGGER.warning("Chat %s became %s: %d owed message(s) moved, %d card(s) offered there",
                        old, new, moved, len(cards))  # fmt: skip
    return moved


async def _offer(app: MahallehApplication, ticket: Ticket, chat: int | None = None
                 ) -> list[Outgoing]:  # fmt: skip
    """The ticket's card (with its media) for its agency's chat, or `chat`."""
    resident, media = await _reporter_and_media(app, ticket)
    return app.notices.deliver_to_agency(ticket, resident, media, chat=chat)


async def _reporter_and_media(app: MahallehApplication, ticket: Ticket
                              ) -> tuple[Resident | None, list[Media]]:  # fmt: skip
    """What a card is made of besides the ticket."""
    return await app.storage.get_resident(ticket.resident_id), await app.storage.ticket_media(
        ticket.id
    )
