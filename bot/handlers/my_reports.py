"""A resident's own reports: the paginated list, a ticket's page with its history, adding
information (button, or a reply to any message about the ticket), and 'was it solved?'.

Callback data `r:l:<page>` and `r:<ticket id>:<action>`; every press re-checks that the
presser follows the ticket (its owner or a 'me too' supporter).
"""

import math
from datetime import timedelta

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
from bot.application import BotContext, actor
from bot.handlers import ID, PAGE, IdleFlows, client_number, conversation, pressed_ticket
from bot.jalali import format_date, format_datetime
from bot.keyboards import Buttons
from bot.persian import escape, normalize, to_persian_digits
from bot.storage import Outgoing, Ticket, TicketEvent

PAGE_SIZE = 5
ADDING_INFO = "adding_info"
INFO_MAX = 2000
INFO_PER_HOUR = 5  # additions one person may send to one ticket in an hour
PRIVATE = filters.ChatType.PRIVATE


async def show_list(update: Update, context: BotContext) -> None:
    user_id = update.effective_user.id
    query = update.callback_query
    page = (client_number(query.data.removeprefix("r:l:")) or 0) if query else 0
    if query:
        await query.answer()
    if await context.storage.get_resident(user_id) is None:
        await update.effective_message.reply_text(texts_fa.NOT_REGISTERED)
        return
    total = await context.storage.count_tickets_of_resident(user_id)
    if total == 0:
        await update.effective_message.reply_text(
            texts_fa.MY_REPORTS_EMPTY, reply_markup=keyboards.main_menu()
        )
        return
    pages = math.ceil(total / PAGE_SIZE)
    page = min(max(page, 0), pages - 1)
    found = await context.storage.tickets_of_resident(user_id, PAGE_SIZE, page * PAGE_SIZE)
    rows = context.app.notices.ticket_rows(found, texts_fa.MY_REPORT_BUTTON, "r:{id}:v")
    nav = keyboards.page_nav(page, page < pages - 1, "r:l:")
    text = texts_fa.MY_REPORTS_HEADER.format(
        page=to_persian_digits(page + 1), pages=to_persian_digits(pages)
    )
    await keyboards.show(update, text, keyboards.buttons([*rows, nav] if nav else rows))


async def _followed_ticket(update: Update, context: BotContext) -> Ticket | None:
    """The ticket named in the callback data, if the presser follows it; else say no."""
    query = update.callback_query
    ticket = await pressed_ticket(update, context)
    if ticket is None or not await context.storage.is_follower(ticket.id, query.from_user.id):
        await query.answer(texts_fa.NOT_YOUR_TICKET, show_alert=True)
        return None
    return ticket


async def show_ticket(update: Update, context: BotContext) -> None:
    ticket = await _followed_ticket(update, context)
    if ticket is None:
        return
    await update.callback_query.answer()
    text = await _ticket_page(context, ticket, owner=ticket.resident_id == update.effective_user.id)
    rows: Buttons = []
    if ticket.status in tickets.AT_AGENCY + tickets.WITH_FACILITATORS:
        rows.append([(texts_fa.BUTTON_ADD_INFO, f"r:{ticket.id}:i")])
    rows.append([(texts_fa.BUTTON_BACK_TO_LIST, "r:l:0")])
    await update.callback_query.edit_message_text(text, reply_markup=keyboards.buttons(rows))


async def _ticket_page(context: BotContext, ticket: Ticket, *, owner: bool) -> str:
    """The ticket as a follower reads it. Only its owner sees what they and others wrote; a
    supporter sees the problem's category, place in the process and the agency's answers."""
    notices, tz = context.app.notices, context.app.tz
    emoji, category = notices.category(ticket)
    hidden = _HIDDEN_FROM_ALL if owner else _HIDDEN_FROM_ALL + _OWNERS_ONLY
    history = [
        texts_fa.HISTORY_LINE.format(time=format_datetime(e.at, tz), what=_describe(context, e))
        for e in await context.storage.ticket_events(ticket.id)
        if e.kind not in hidden
    ]
    if not owner:
        description = texts_fa.SUPPORTER_DESCRIPTION
    elif ticket.description:
        description = escape(ticket.description)
    else:
        description = texts_fa.VOICE_DESCRIPTION
    return texts_fa.TICKET_PAGE.format(
        code=notices.code(ticket),
        emoji=emoji,
        category=category,
        neighborhood=notices.neighborhood(ticket.neighborhood),
        status=texts_fa.STATUS[ticket.status],
        created=format_date(ticket.created_at, tz),
        supporters=to_persian_digits(ticket.supporters + 1),
        description=description,
        history="\n".join(history[-15:]),
    )


_HIDDEN_FROM_ALL = ("reminder", "note")  # the office's own
_OWNERS_ONLY = ("info", "rating", "edited")  # what residents wrote or did about it


def _describe(context: BotContext, event: TicketEvent) -> str:
    """One line of a ticket's history, as the resident reads it."""
    notices = context.app.notices
    who = escape(event.actor_name) if event.actor_role == "agency" else texts_fa.OFFICE
    match event.kind:
        case "created":
            return texts_fa.EVENT_CREATED
        case "status" | "unreachable":
            return texts_fa.EVENT_STATUS.format(status=texts_fa.STATUS.get(event.status or "", ""))
        case "reply":
            return texts_fa.EVENT_REPLY.format(who=who, body=escape(event.body))
        case "info":
            return texts_fa.EVENT_INFO.format(body=escape(event.body) or texts_fa.INFO_MEDIA)
        case "supporter":
            return texts_fa.EVENT_SUPPORTER
        case "reassign":
            return texts_fa.EVENT_REASSIGN.format(agency=notices.agency(event.body))
        case "rating":
            return texts_fa.EVENT_RATING.format(body=to_persian_digits(event.body))
        case "edited":
            return texts_fa.EVENT_EDITED
    return event.kind


# ---------------------------------------------------------------- adding information


async def ask_info(update: Update, context: BotContext) -> str | int:
    ticket = await _followed_ticket(update, context)
    if ticket is None:
        return ConversationHandler.END
    query = update.callback_query
    await query.answer()
    if ticket.status not in tickets.AT_AGENCY + tickets.WITH_FACILITATORS:
        await query.message.reply_text(texts_fa.INFO_CLOSED)
        return ConversationHandler.END
    context.user_data["info_ticket"] = ticket.id
    await query.message.reply_text(
        texts_fa.ASK_INFO.format(code=context.app.notices.code(ticket)),
        reply_markup=keyboards.cancel_only(),
    )
    return ADDING_INFO


async def receive_info(update: Update, context: BotContext) -> int:
    ticket = await context.storage.get_ticket(context.user_data.pop("info_ticket", 0))
    if ticket is not None:
        await _add_info(update, context, ticket)
    return ConversationHandler.END


async def reply_to_notice(update: Update, context: BotContext) -> None:
    """A resident's reply to a message about one of their tickets adds information to it."""
    message = update.effective_message
    ticket_id = await context.storage.ticket_of_message(
        message.chat.id, message.reply_to_message.message_id
    )
    ticket = await context.storage.get_ticket(ticket_id) if ticket_id is not None else None
    if ticket is None or not await context.storage.is_follower(
        ticket.id, update.effective_user.id
    ):
        await message.reply_text(texts_fa.USE_MENU, reply_markup=keyboards.main_menu())
        return
    await _add_info(update, context, ticket)


async def _add_info(update: Update, context: BotContext, ticket: Ticket) -> None:
    """Store the resident's addition as an event and pass it to whoever handles the ticket."""
    message = update.effective_message
    if ticket.status not in tickets.AT_AGENCY + tickets.WITH_FACILITATORS:
        await message.reply_text(texts_fa.INFO_CLOSED, reply_markup=keyboards.main_menu())
        return
    text = normalize(message.text or message.caption or "")[:INFO_MAX]
    media = None
    if message.photo:
        media = ("photo", message.photo[-1].file_id)
    elif message.voice:
        media = ("voice", message.voice.file_id)
    elif not text:
        await message.reply_text(texts_fa.DESCRIPTION_WRONG_TYPE)
        return
    storage, user_id = context.storage, update.effective_user.id
    hour_ago = storage.now() - timedelta(hours=1)
    if await storage.count_events(ticket.id, user_id, "info", since=hour_ago) >= INFO_PER_HOUR:
        await message.reply_text(
            texts_fa.INFO_TOO_MANY.format(n=to_persian_digits(INFO_PER_HOUR)),
            reply_markup=keyboards.main_menu(),
        )
        return
    notices = context.app.notices
    facilitators = await storage.facilitators_of(ticket.neighborhood)
    adder = await storage.get_resident(user_id)
    # What a facilitator hid, or a muted resident writes, goes to the facilitators alone.
    withheld = ticket.hidden_text or ticket.hidden_media or (adder is not None and adder.muted)

    def notify(changed: Ticket, followers: list[int]) -> list[Outgoing]:
        body = texts_fa.INFO_TO_HANDLER.format(
            code=notices.code(changed), text=escape(text) or texts_fa.INFO_MEDIA
        )
        out = [] if withheld else notices.to_card_chat(changed, body)
        card_chat = changed.card_chat_id if out else None
        chats = [card_chat] if card_chat is not None else notices.facilitator_ids(facilitators)
        if not out:
            if withheld:
                body += texts_fa.INFO_WITHHELD
            out = notices.alert(facilitators, body, changed)
        if media:
            out += [
                Outgoing(chat, media[0], {"file_id": media[1], "reply_to": None},
                         ticket_id=changed.id)
                for chat in chats
            ]  # fmt: skip
        return out

    await context.storage.update_ticket(
        ticket.id, actor(update, "resident"), "info", notify, body=text
    )
    await message.reply_text(
        texts_fa.INFO_SENT.format(code=notices.code(ticket)), reply_markup=keyboards.main_menu()
    )


async def cancel_info(update: Update, context: BotContext) -> int:
    context.user_data.pop("info_ticket", None)
    await update.effective_message.reply_text(
        texts_fa.CANCELLED, reply_markup=keyboards.main_menu()
    )
    return ConversationHandler.END


# ---------------------------------------------------------------- was it solved?


async def solved(update: Update, context: BotContext) -> None:
    """'Yes, solved': keep it resolved and ask for a 1–5 rating."""
    ticket = await _owned_resolved(update, context)
    if ticket is None:
        return
    await update.callback_query.answer()
    rows: Buttons = [[(to_persian_digits(n), f"r:{ticket.id}:s:{n}") for n in range(1, 6)]]
    await update.callback_query.edit_message_reply_markup(None)
    await update.effective_message.reply_text(
        texts_fa.ASK_RATING, reply_markup=keyboards.buttons(rows)
    )


async def rate(update: Update, context: BotContext) -> None:
    query = update.callback_query
    ticket = await _owned_resolved(update, context)
    if ticket is None:
        return
    score = query.data.rsplit(":", 1)[-1]
    if score not in {"1", "2", "3", "4", "5"} or ticket.rating is not None:
        await query.answer(texts_fa.ALREADY_ANSWERED if ticket.rating else texts_fa.BUTTON_INVALID)
        return
    await context.storage.update_ticket(
        ticket.id, actor(update, "resident"), "rating", lambda *_: [], body=score, rating=int(score)
    )
    await query.answer()
    await query.edit_message_text(texts_fa.THANKS_RATING)


async def not_solved(update: Update, context: BotContext) -> None:
    """'No, still there': reopen at the agency and alert the neighborhood's facilitators."""
    ticket = await _owned_resolved(update, context)
    if ticket is None:
        return
    notices = context.app.notices
    resident = await context.storage.get_resident(ticket.resident_id)
    facilitators = await context.storage.facilitators_of(ticket.neighborhood)

    def notify(changed: Ticket, followers: list[int]) -> list[Outgoing]:
        code, agency = notices.code(changed), notices.agency(changed.agency)
        _, category = notices.category(changed)
        alert = texts_fa.REOPENED_ALERT.format(
            code=code,
            category=category,
            neighborhood=notices.neighborhood(changed.neighborhood),
            agency=agency,
        )
        return [
            Outgoing(
                changed.resident_id,
                "message",
                {"text": texts_fa.REOPENED_RESIDENT.format(code=code, agency=agency)},
                ticket_id=changed.id,
            ),
            *notices.to_card_chat(changed, texts_fa.REOPENED_AGENCY.format(code=code)),
            *notices.card_edit(changed, resident),
            *notices.alert(facilitators, alert, changed),
        ]

    changed = await context.storage.update_ticket(
        ticket.id,
        actor(update, "resident"),
        "status",
        notify,
        status=tickets.REOPENED,
        expect_status=(tickets.RESOLVED,),
    )
    await update.callback_query.answer()
    await update.callback_query.edit_message_reply_markup(None)
    if changed is None:
        await update.effective_message.reply_text(texts_fa.ALREADY_ANSWERED)


async def _owned_resolved(update: Update, context: BotContext) -> Ticket | None:
    query = update.callback_query
    ticket = await pressed_ticket(update, context)
    if ticket is None or ticket.resident_id != query.from_user.id:
        await query.answer(texts_fa.NOT_YOUR_TICKET, show_alert=True)
        return None
    if ticket.status != tickets.RESOLVED:
        await query.answer(texts_fa.ALREADY_ANSWERED, show_alert=True)
        await query.edit_message_reply_markup(None)
        return None
    return ticket


def handlers(idle: IdleFlows) -> list[BaseHandler]:
    content = PRIVATE & (filters.TEXT | filters.PHOTO | filters.VOICE) & ~filters.COMMAND
    adding_info = conversation(
        "ticket_info",
        idle,
        entry_points=[CallbackQueryHandler(ask_info, pattern=rf"^r:{ID}:i$")],
        states={
            ADDING_INFO: [
                MessageHandler(filters.Text([texts_fa.BUTTON_CANCEL]), cancel_info),
                MessageHandler(content & ~filters.Text(keyboards.MAIN_MENU_LABELS), receive_info),
            ]
        },
        fallbacks=[CommandHandler("cancel", cancel_info, filters=PRIVATE)],
    )
    return [
        adding_info,
        MessageHandler(PRIVATE & filters.Text([texts_fa.MENU_MY_REPORTS]), show_list),
        CallbackQueryHandler(show_list, pattern=rf"^r:l:{PAGE}$"),
        CallbackQueryHandler(show_ticket, pattern=rf"^r:{ID}:v$"),
        CallbackQueryHandler(solved, pattern=rf"^r:{ID}:y$"),
        CallbackQueryHandler(not_solved, pattern=rf"^r:{ID}:n$"),
        CallbackQueryHandler(rate, pattern=rf"^r:{ID}:s:[0-9]$"),
        MessageHandler(content & filters.REPLY, reply_to_notice),
    ]
