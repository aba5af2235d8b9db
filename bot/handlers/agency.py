"""Agency staff act on ticket cards in their group: acknowledge, in progress, resolved,
'not ours' (with a reason), canned answers; a reply to a card is an official reply.

Every press is checked: the card's chat must be the ticket's agency chat (Telegram vouches for
the chat a button was pressed in; callback data is the client's word), or the presser holds the
agency role in the database. Anything else changes nothing and is logged.
"""

import logging

from telegram import Message, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, MessageHandler, filters

from bot import keyboards, texts_fa, tickets
from bot.access import access_of
from bot.application import BotContext, actor
from bot.handlers import ID, callback_choice, client_number, pressed_ticket
from bot.notices import agency_buttons
from bot.persian import normalize
from bot.storage import Outgoing, Ticket

_LOGGER = logging.getLogger(__name__)
_CANNED_LABEL = 40  # characters of a canned answer shown on its button


async def _authorised(update: Update, context: BotContext, ticket: Ticket) -> bool:
    """Whether this press or reply is the ticket's agency's (see `Access.may_act_as_agency`)."""
    access = await access_of(context.app, update.effective_user.id)
    chat = update.effective_chat
    return access.may_act_as_agency(ticket, chat.id if chat else None)


async def on_card_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    parts = query.data.split(":")  # a:<ticket id>:<action>[:<argument>]
    action, arg = (parts[2], parts[3:]) if len(parts) > 2 else ("", [])
    ticket = await pressed_ticket(update, context)
    if ticket is None or not await _authorised(update, context, ticket):
        _LOGGER.warning("Refused agency action %r by user %s", query.data, query.from_user.id)
        await query.answer(texts_fa.NOT_ALLOWED, show_alert=True)
        return
    if action == "back":
        await query.answer()
        await query.edit_message_reply_markup(
            keyboards.buttons(agency_buttons(context.catalog, ticket))
        )
    elif action == "no" and not arg:
        await query.answer()
        rows = [
            [(reason, f"a:{ticket.id}:no:{i}")]
            for i, reason in enumerate(texts_fa.NOT_OURS_REASONS)
        ]
        rows.append([(texts_fa.BUTTON_BACK, f"a:{ticket.id}:back")])
        await query.edit_message_reply_markup(keyboards.buttons(rows))
    elif action == "cr" and not arg:
        await query.answer()
        rows = [
            [(canned.text[:_CANNED_LABEL], f"a:{ticket.id}:cr:{i}")]
            for i, canned in tickets.canned_offered(context.catalog, ticket.status)
        ]
        rows.append([(texts_fa.BUTTON_BACK, f"a:{ticket.id}:back")])
        await query.edit_message_reply_markup(keyboards.buttons(rows))
    elif action in tickets.AGENCY_ACTIONS:
        await _move(update, context, ticket, action, arg[0] if arg else None)
    elif action == "cr":
        await _canned(update, context, ticket, arg[0])
    else:
        await query.answer(texts_fa.BUTTON_INVALID, show_alert=True)


async def _move(
    update: Update, context: BotContext, ticket: Ticket, action: str, reason_index: str | None
) -> None:
    query = update.callback_query
    sources, target = tickets.AGENCY_ACTIONS[action]
    reason = ""
    if action == "no":
        chosen = callback_choice(texts_fa.NOT_OURS_REASONS, reason_index or "")
        if chosen is None:
            await query.answer(texts_fa.BUTTON_INVALID, show_alert=True)
            return
        reason = chosen
    notices = context.app.notices
    resident = await context.storage.get_resident(ticket.resident_id)
    agency = notices.agency(ticket.agency)
    facilitators = await context.storage.facilitators_of(ticket.neighborhood)

    def notify(changed: Ticket, followers: list[int]) -> list[Outgoing]:
        out = notices.status_change(resident, by=agency, reason=reason)(changed, followers)
        if target == tickets.QUEUED:
            why = texts_fa.QUEUE_REASON_NOT_OURS.format(agency=agency, reason=reason)
            out += notices.triage(changed, resident, [], facilitators, why)
        return out

    changed = await context.storage.update_ticket(
        ticket.id,
        actor(update, "agency"),
        "status",
        notify,
        status=target,
        body=reason,
        expect_status=sources,
    )
    await _answer_or_refresh(update, context, changed, ticket)


async def _canned(update: Update, context: BotContext, ticket: Ticket, index: str) -> None:
    """Send a ready answer offered at the ticket's status; it moves the ticket to the status
    it announces."""
    offered = dict(tickets.canned_offered(context.catalog, ticket.status))
    number = client_number(index)
    answer = offered.get(number) if number is not None else None
    if answer is None:  # forged, or the ticket moved on since the menu was shown
        await _answer_or_refresh(update, context, None, ticket)
        return
    notices = context.app.notices
    resident = await context.storage.get_resident(ticket.resident_id)
    agency = notices.agency(ticket.agency)
    status = answer.status if answer.status != ticket.status else None

    def notify(changed: Ticket, followers: list[int]) -> list[Outgoing]:
        out = notices.reply_notices(changed, followers, agency, answer.text)
        if status:
            out += notices.status_notices(changed, followers, agency)
        return out + notices.card_edit(changed, resident)

    changed = await context.storage.update_ticket(
        ticket.id,
        actor(update, "agency"),
        "reply",
        notify,
        status=status,
        body=answer.text,
        expect_status=(ticket.status,),
    )
    await _answer_or_refresh(update, context, changed, ticket)


async def _answer_or_refresh(
    update: Update, context: BotContext, changed: Ticket | None, before: Ticket
) -> None:
    """Acknowledge the press; if someone else moved the ticket first, show the card as it is."""
    query = update.callback_query
    if changed is not None:
        await query.answer(texts_fa.DONE_SHORT)
        return
    await query.answer(texts_fa.ACTION_STALE, show_alert=True)
    current = await context.storage.get_ticket(before.id) or before
    resident = await context.storage.get_resident(current.resident_id)
    await query.edit_message_text(
        context.app.notices.card_text(current, resident, for_agency=True),
        reply_markup=keyboards.buttons(agency_buttons(context.catalog, current)),
    )


async def on_reply(update: Update, context: BotContext) -> None:
    """A reply to a ticket's message in its agency's chat: text, and a photo, video, voice or
    file, goes to the resident as the agency's answer; anything else is answered."""
    message = update.effective_message
    assert message is not None  # the handler's filter: a reply in a group
    assert message.reply_to_message is not None
    ticket_id = await context.storage.ticket_of_message(
        message.chat.id, message.reply_to_message.message_id
    )
    ticket = await context.storage.get_ticket(ticket_id) if ticket_id else None
    if ticket is None or ticket.card_chat_id != message.chat.id:
        return  # an ordinary conversation in the group
    if not await _authorised(update, context, ticket):
        return
    if ticket.status not in tickets.AT_AGENCY:
        await message.reply_text(texts_fa.REPLY_NOT_OPEN)
        return
    text = normalize(message.text or message.caption or "")
    media = _relayable_media(message)
    if not text and media is None:
        await message.reply_text(texts_fa.REPLY_KIND_NOT_RELAYED)
        return
    notices = context.app.notices
    agency = notices.agency(ticket.agency)

    def notify(changed: Ticket, followers: list[int]) -> list[Outgoing]:
        out = notices.reply_notices(changed, followers, agency, text) if text else []
        if media:
            kind, file_id = media
            caption = texts_fa.MEDIA_CAPTION.format(code=notices.code(changed))
            out += [
                Outgoing(u, kind, {"file_id": file_id, "text": caption}, ticket_id=changed.id)
                for u in followers
            ]
        return out

    await context.storage.update_ticket(
        ticket.id, actor(update, "agency"), "reply", notify, body=text
    )
    await message.reply_text(texts_fa.REPLY_RELAYED)


def _relayable_media(message: Message) -> tuple[str, str] | None:
    """The clerk's photo, video, voice or file as (outbox kind, file id); None for anything
    a resident cannot be sent as such (a sticker, a round video, a poll …)."""
    if message.photo:
        return "photo", message.photo[-1].file_id
    for kind in ("video", "voice", "document"):
        attachment = getattr(message, kind)
        if attachment is not None:
            return kind, attachment.file_id
    return None


def handlers() -> list[BaseHandler]:
    groups = filters.ChatType.GROUPS
    return [
        CallbackQueryHandler(on_card_button, pattern=rf"^a:{ID}:[a-z]+(?::{ID})?$"),
        MessageHandler(
            groups & filters.REPLY & ~filters.COMMAND & ~filters.StatusUpdate.ALL, on_reply
        ),
    ]
