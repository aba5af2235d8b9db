"""Facilitators triage what no agency took: approve reviewed tickets, reassign, close or
reject with a reason, edit or hide what agencies should not see, mute an abusive resident.

`/queue` lists the waiting tickets of the facilitator's neighborhoods, `/ticket <code>` finds
one. Every press re-checks that the presser facilitates the ticket's neighborhood (or is a
super-admin). A supervisor reads the queue and any ticket of the province, without the buttons.
"""

import logging
from typing import Any

from telegram import Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot import keyboards, texts_fa, tickets
from bot.access import Access, access_of
from bot.application import BotContext, actor
from bot.handlers import (
    ID,
    PAGE,
    IdleFlows,
    callback_choice,
    client_number,
    conversation,
    pressed_ticket,
)
from bot.handlers.reports import description_problem
from bot.keyboards import Buttons
from bot.notices import triage_buttons
from bot.persian import normalize, to_persian_digits
from bot.storage import Outgoing, Ticket

_LOGGER = logging.getLogger(__name__)
PRIVATE = filters.ChatType.PRIVATE
QUEUE_PAGE = 10
EDITING_TEXT = "editing_text"


async def show_queue(update: Update, context: BotContext) -> None:
    query = update.callback_query
    access = await access_of(context.app, update.effective_user.id)
    if not access.reads:
        if query:  # every press is answered, or the button spins on
            await query.answer(texts_fa.FACILITATOR_ONLY, show_alert=True)
        else:
            await update.effective_message.reply_text(texts_fa.FACILITATOR_ONLY)
        return
    neighborhoods = access.reads.among(n.key for n in context.catalog.neighborhoods)
    page = (client_number(query.data.removeprefix("f:q:")) or 0) if query else 0
    if query:
        await query.answer()
    waiting = await context.storage.queue(neighborhoods, QUEUE_PAGE + 1, page * QUEUE_PAGE)
    if not waiting and page == 0:
        await update.effective_message.reply_text(texts_fa.QUEUE_EMPTY)
        return
    rows = context.app.notices.ticket_rows(waiting[:QUEUE_PAGE], texts_fa.QUEUE_BUTTON, "f:{id}:v")
    text = texts_fa.QUEUE_HEADER.format(count=to_persian_digits(len(rows)))
    nav = keyboards.page_nav(page, len(waiting) > QUEUE_PAGE, "f:q:")
    await keyboards.show(update, text, keyboards.buttons([*rows, nav] if nav else rows))


async def find_ticket(update: Update, context: BotContext) -> None:
    """/ticket <code>: a facilitator looks up a ticket a resident read out on the phone."""
    access = await access_of(context.app, update.effective_user.id)
    if not access.reads:
        await update.effective_message.reply_text(texts_fa.FACILITATOR_ONLY)
        return
    code = tickets.parse_code(" ".join(context.args or []))
    if code is None:
        await update.effective_message.reply_text(texts_fa.TICKET_USAGE)
        return
    ticket = await context.storage.get_ticket_by_code(code)
    if ticket is None or not access.may_read(ticket):
        await update.effective_message.reply_text(texts_fa.TICKET_NOT_FOUND)
        return
    text, rows = await _triage_card(context, ticket, access)
    await update.effective_message.reply_text(text, reply_markup=keyboards.buttons(rows))


async def _triage_card(context: BotContext, ticket: Ticket, access: Access) -> tuple[str, Buttons]:
    """The ticket as the office sees it; its buttons only for whoever may triage it."""
    resident = await context.storage.get_resident(ticket.resident_id)
    notices = context.app.notices
    text = notices.card_text(
        ticket, resident, for_agency=False, contact=access.sees_contact(ticket)
    )
    if not access.may_triage(ticket):
        return text, []
    return text, triage_buttons(ticket, resident.muted if resident else False)


async def _pressed_ticket(
    update: Update, context: BotContext, *, reading: bool = False
) -> tuple[Ticket, Access] | None:
    """The ticket pressed and what the presser may do, if they may triage it (or only
    read it, when `reading`); otherwise they are refused and it is logged."""
    query = update.callback_query
    access = await access_of(context.app, query.from_user.id)
    ticket = await pressed_ticket(update, context)
    allowed = access.may_read if reading else access.may_triage
    if ticket is None or not allowed(ticket):
        _LOGGER.warning("Refused triage action %r by user %s", query.data, query.from_user.id)
        await query.answer(texts_fa.NOT_ALLOWED, show_alert=True)
        return None
    return ticket, access


async def _refresh(
    update: Update, context: BotContext, ticket_id: int, access: Access, note: str = ""
) -> None:
    """Show the presser the ticket as it is now, with the buttons that still apply."""
    ticket = await context.storage.get_ticket(ticket_id)
    if ticket is None:
        await update.callback_query.answer(texts_fa.BUTTON_INVALID, show_alert=True)
        return
    text, rows = await _triage_card(context, ticket, access)
    await update.callback_query.answer(note or None)
    await update.callback_query.edit_message_text(text, reply_markup=keyboards.buttons(rows))


async def on_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    action, *arg = query.data.split(":")[2:]
    argument = arg[0] if arg else ""  # an agency key or a reason's number
    pressed = await _pressed_ticket(update, context, reading=action == "v")
    if pressed is None:
        return
    ticket, access = pressed
    if action == "v":
        await _refresh(update, context, ticket.id, access)
    elif action == "as":
        rows = [[(a.name, f"f:{ticket.id}:to:{a.key}")] for a in context.catalog.agencies]
        await _submenu(update, context, ticket, access, texts_fa.ASK_AGENCY, rows)
    elif action == "cl":
        rows = [[(r, f"f:{ticket.id}:cx:{i}")] for i, r in enumerate(texts_fa.CLOSE_REASONS)]
        await _submenu(update, context, ticket, access, texts_fa.ASK_CLOSE_REASON, rows)
    elif action == "ok":
        await _send_on(update, context, ticket, access, ticket.agency, (tickets.REVIEW,))
    elif action == "to" and context.catalog.agency(argument):
        await _send_on(update, context, ticket, access, argument, tickets.WITH_FACILITATORS)
    elif action == "cx" and (reason := callback_choice(texts_fa.CLOSE_REASONS, argument)):
        await _close(update, context, ticket, access, reason)
    elif action in ("ht", "hm"):
        await _toggle_hidden(update, context, ticket, access, action)
    elif action == "mu":
        resident = await context.storage.get_resident(ticket.resident_id)
        await context.storage.set_muted(ticket.resident_id, not resident.muted)
        note = texts_fa.RESIDENT_UNMUTED if resident.muted else texts_fa.RESIDENT_MUTED
        await _refresh(update, context, ticket.id, access, note)
    else:
        await query.answer(texts_fa.BUTTON_INVALID, show_alert=True)


async def _submenu(
    update: Update,
    context: BotContext,
    ticket: Ticket,
    access: Access,
    question: str,
    rows: Buttons,
) -> None:
    text, _ = await _triage_card(context, ticket, access)
    rows.append([(texts_fa.BUTTON_BACK, f"f:{ticket.id}:v")])
    await update.callback_query.answer()
    await update.callback_query.edit_message_text(
        text + question, reply_markup=keyboards.buttons(rows)
    )


async def _send_on(
    update: Update,
    context: BotContext,
    ticket: Ticket,
    access: Access,
    agency: str,
    expect: tuple[str, ...],
) -> None:
    """Approve (same agency) or reassign: to the agency's chat, or back to the queue if it
    has none."""
    notices = context.app.notices
    resident = await context.storage.get_resident(ticket.resident_id)
    media = await context.storage.ticket_media(ticket.id)
    status = tickets.destination(context.app.agency_chats, agency)

    def notify(changed: Ticket, followers: list[int]) -> list[Outgoing]:
        out = notices.status_notices(changed, followers, texts_fa.OFFICE)
        if changed.status == tickets.NEW:
            out += notices.deliver_to_agency(changed, resident, media)
        return out

    changed = await context.storage.update_ticket(
        ticket.id,
        actor(update, "facilitator"),
        "reassign" if agency != ticket.agency else "status",
        notify,
        status=status,
        body=agency if agency != ticket.agency else "",
        expect_status=expect,
        agency=agency,
    )
    note = texts_fa.DONE_SHORT if changed else texts_fa.ACTION_STALE
    await _refresh(update, context, ticket.id, access, note)


async def _close(
    update: Update, context: BotContext, ticket: Ticket, access: Access, reason: str
) -> None:
    status = tickets.REJECTED if ticket.status == tickets.REVIEW else tickets.CLOSED
    changed = await context.storage.update_ticket(
        ticket.id,
        actor(update, "facilitator"),
        "status",
        lambda t, f: context.app.notices.status_notices(t, f, texts_fa.OFFICE, reason),
        status=status,
        body=reason,
        expect_status=tickets.WITH_FACILITATORS,
    )
    note = texts_fa.DONE_SHORT if changed else texts_fa.ACTION_STALE
    await _refresh(update, context, ticket.id, access, note)


async def _toggle_hidden(
    update: Update, context: BotContext, ticket: Ticket, access: Access, action: str
) -> None:
    resident = await context.storage.get_resident(ticket.resident_id)
    field = "hidden_text" if action == "ht" else "hidden_media"
    hidden: dict[str, Any] = {field: not getattr(ticket, field)}
    await context.storage.update_ticket(
        ticket.id,
        actor(update, "facilitator"),
        "note",
        lambda t, _: context.app.notices.card_edit(t, resident),
        body=field,
        **hidden,
    )
    await _refresh(update, context, ticket.id, access, texts_fa.DONE_SHORT)


# ---------------------------------------------------------------- editing a ticket's text


async def ask_text(update: Update, context: BotContext) -> str | int:
    pressed = await _pressed_ticket(update, context)
    if pressed is None:
        return ConversationHandler.END
    ticket, _ = pressed
    await update.callback_query.answer()
    context.user_data["editing_ticket"] = ticket.id
    await update.effective_message.reply_text(
        texts_fa.ASK_NEW_TEXT.format(code=context.app.notices.code(ticket))
    )
    return EDITING_TEXT


async def receive_text(update: Update, context: BotContext) -> str | int:
    text = normalize(update.effective_message.text or "")
    problem = description_problem(text)
    if problem:
        await update.effective_message.reply_text(problem)
        return EDITING_TEXT
    ticket = await context.storage.get_ticket(context.user_data.pop("editing_ticket", 0))
    access = await access_of(context.app, update.effective_user.id)
    if ticket is None or not access.may_triage(ticket):
        await update.effective_message.reply_text(texts_fa.NOT_ALLOWED)  # revoked meanwhile
        return ConversationHandler.END
    resident = await context.storage.get_resident(ticket.resident_id)
    changed = await context.storage.update_ticket(
        ticket.id,
        actor(update, "facilitator"),
        "edited",
        lambda t, _: context.app.notices.card_edit(t, resident),
        description=text,
    )
    if changed is None:  # no longer there to edit
        await update.effective_message.reply_text(texts_fa.NOT_ALLOWED)
        return ConversationHandler.END
    card, rows = await _triage_card(context, changed, access)
    await update.effective_message.reply_text(
        texts_fa.TEXT_EDITED.format(code=context.app.notices.code(changed))
    )
    await update.effective_message.reply_text(card, reply_markup=keyboards.buttons(rows))
    return ConversationHandler.END


async def cancel_text(update: Update, context: BotContext) -> int:
    context.user_data.pop("editing_ticket", None)
    await update.effective_message.reply_text(texts_fa.CANCELLED)
    return ConversationHandler.END


def handlers(idle: IdleFlows) -> list[BaseHandler]:
    editing = conversation(
        "triage_edit",
        idle,
        entry_points=[CallbackQueryHandler(ask_text, pattern=rf"^f:{ID}:ed$")],
        states={
            EDITING_TEXT: [MessageHandler(PRIVATE & filters.TEXT & ~filters.COMMAND, receive_text)]
        },
        fallbacks=[CommandHandler("cancel", cancel_text, filters=PRIVATE)],
    )
    return [
        editing,
        CommandHandler("queue", show_queue, filters=PRIVATE),
        CommandHandler("ticket", find_ticket, filters=PRIVATE),
        CallbackQueryHandler(show_queue, pattern=rf"^f:q:{PAGE}$"),
        CallbackQueryHandler(on_button, pattern=rf"^f:{ID}:[a-z]+(?::[a-z0-9_]{{1,24}})?$"),
    ]
