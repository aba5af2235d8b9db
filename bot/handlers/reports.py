"""A resident reports a problem: category -> description (text or voice) -> photos/videos ->
location -> review (confirm / edit / cancel) -> 'me too' offer if the same problem is open ->
stored with everything it owes people, in one transaction.

The draft lives in user_data (persisted), so a restart in the middle loses nothing.
"""

import logging
from datetime import timedelta

from telegram import InlineKeyboardMarkup, KeyboardButton, ReplyKeyboardMarkup, Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot import keyboards, texts_fa, tickets
from bot.application import BotContext
from bot.handlers import IdleFlows, conversation
from bot.jalali import format_date, seconds, start_of_day
from bot.keyboards import Buttons
from bot.persian import escape, normalize, to_persian_digits
from bot.storage import Actor, Media, NewTicket, Outgoing, Resident, StorageUnavailable, Ticket

CATEGORY, DESCRIBE, MEDIA, LOCATION, REVIEW, EDIT_PART, DUPLICATE = (
    "category", "describe", "media", "location", "review", "edit_part", "duplicate",
)  # fmt: skip
DESCRIPTION_MIN, DESCRIPTION_MAX = 10, 2000
VOICE_MAX_SECONDS = 180
VIDEO_MAX_SECONDS = 60
MEDIA_MAX = 3
ADDRESS_MIN, ADDRESS_MAX = 3, 300
_DRAFT = "report"
PRIVATE = filters.ChatType.PRIVATE
_LOGGER = logging.getLogger(__name__)

_LOGGER = logging.getLogger(__name__)


def _draft(context: BotContext) -> dict:
    return context.user_data.setdefault(_DRAFT, {})


# ---------------------------------------------------------------- entry and category


async def start(update: Update, context: BotContext) -> str | int:
    resident = await _may_report(update, context)
    if resident is None:
        return ConversationHandler.END
    neighborhood = context.catalog.neighborhood(resident.neighborhood)
    context.user_data[_DRAFT] = {
        "media": [],
        "share": False,
        "neighborhood_name": neighborhood.name if neighborhood else "",
    }
    await update.effective_message.reply_text(
        texts_fa.ASK_CATEGORY, reply_markup=_categories(context)
    )
    return CATEGORY


async def _may_report(update: Update, context: BotContext) -> Resident | None:
    """The resident, if they may file a report now; otherwise tell them why not."""
    today = start_of_day(context.storage.now(), context.app.tz)
    resident, reports_today = await context.storage.resident_and_reports_since(
        update.effective_user.id, today
    )
    reply = update.effective_message.reply_text
    if resident is None:
        await reply(texts_fa.NOT_REGISTERED)
        return None
    if resident.muted:
        await reply(texts_fa.REPORT_MUTED, reply_markup=keyboards.main_menu())
        return None
    limit = context.settings.reports_per_day
    if reports_today >= limit:
        await reply(
            texts_fa.REPORT_LIMIT.format(limit=to_persian_digits(limit)),
            reply_markup=keyboards.main_menu(),
        )
        return None
    return resident


def _categories(context: BotContext) -> InlineKeyboardMarkup:
    rows: Buttons = [
        [(f"{c.emoji} {c.name}".strip(), f"rp:c:{c.key}")] for c in context.catalog.categories
    ]
    return keyboards.buttons(rows)


async def choose_category(update: Update, context: BotContext) -> str:
    query = update.callback_query
    category = context.catalog.category(query.data.removeprefix("rp:c:"))
    if category is None:
        await query.answer(texts_fa.BUTTON_INVALID, show_alert=True)
        return CATEGORY
    await query.answer()
    _draft(context)["category"] = category.key
    await query.edit_message_text(
        texts_fa.CATEGORY_CHOSEN.format(emoji=category.emoji, category=category.name)
    )
    if _draft(context).get("editing"):
        return await _show_review(update, context)
    await query.message.reply_text(texts_fa.ASK_DESCRIPTION, reply_markup=keyboards.cancel_only())
    return DESCRIBE


# ---------------------------------------------------------------- description


async def describe_text(update: Update, context: BotContext) -> str:
    text = normalize(update.effective_message.text or update.effective_message.caption or "")
    problem = description_problem(text)
    if problem:
        await update.effective_message.reply_text(problem)
        return DESCRIBE
    draft = _draft(context)
    draft["description"], draft["voice"] = text, None
    return await _after_description(update, context)


def description_problem(text: str) -> str | None:
    """What is wrong with a typed description, in Persian; None when it will do."""
    if len(text) < DESCRIPTION_MIN:
        return texts_fa.DESCRIPTION_TOO_SHORT.format(min=to_persian_digits(DESCRIPTION_MIN))
    if len(text) > DESCRIPTION_MAX:
        return texts_fa.DESCRIPTION_TOO_LONG.format(
            length=to_persian_digits(len(text)), max=to_persian_digits(DESCRIPTION_MAX)
        )
    return None


async def describe_voice(update: Update, context: BotContext) -> str:
    voice = update.effective_message.voice
    if seconds(voice.duration) > VOICE_MAX_SECONDS:
        await update.effective_message.reply_text(texts_fa.VOICE_TOO_LONG)
        return DESCRIBE
    draft = _draft(context)
    draft["description"], draft["voice"] = "", voice.file_id
    return await _after_description(update, context)


async def describe_photo(update: Update, context: BotContext) -> str:
    """A photo in the description step: kept; its caption, if long enough, is the description."""
    message = update.effective_message
    draft = _draft(context)
    if len(draft["media"]) < MEDIA_MAX:
        draft["media"].append(["photo", message.photo[-1].file_id])
    caption = normalize(message.caption or "")
    if caption and not description_problem(caption):
        draft["description"], draft["voice"] = caption, None
        return await _after_description(update, context)
    await message.reply_text(texts_fa.PHOTO_NEEDS_DESCRIPTION)
    return DESCRIBE


async def describe_wrong(update: Update, context: BotContext) -> str:
    await update.effective_message.reply_text(texts_fa.DESCRIPTION_WRONG_TYPE)
    return DESCRIBE


async def _after_description(update: Update, context: BotContext) -> str:
    if _draft(context).get("editing"):
        return await _show_review(update, context)
    return await _ask_media(update, context)


# ---------------------------------------------------------------- photos and videos


async def _ask_media(update: Update, context: BotContext) -> str:
    count = len(_draft(context)["media"])
    if count >= MEDIA_MAX:
        return await _after_media(update, context)
    text = (
        texts_fa.MEDIA_RECEIVED.format(
            count=to_persian_digits(count), max=to_persian_digits(MEDIA_MAX)
        )
        if count
        else texts_fa.ASK_MEDIA.format(max=to_persian_digits(MEDIA_MAX))
    )
    await update.effective_message.reply_text(text, reply_markup=keyboards.continue_only())
    return MEDIA


async def add_media(update: Update, context: BotContext) -> str:
    message = update.effective_message
    if message.video and seconds(message.video.duration) > VIDEO_MAX_SECONDS:
        await message.reply_text(texts_fa.VIDEO_TOO_LONG)
        return MEDIA
    item = (
        ["photo", message.photo[-1].file_id] if message.photo else ["video", message.video.file_id]
    )
    draft = _draft(context)
    if len(draft["media"]) < MEDIA_MAX:
        draft["media"].append(item)
    return await _ask_media(update, context)


async def media_done(update: Update, context: BotContext) -> str:
    return await _after_media(update, context)


async def media_wrong(update: Update, context: BotContext) -> str:
    await update.effective_message.reply_text(
        texts_fa.MEDIA_WRONG_TYPE, reply_markup=keyboards.continue_only()
    )
    return MEDIA


async def _after_media(update: Update, context: BotContext) -> str:
    if _draft(context).get("editing"):
        return await _show_review(update, context)
    return await _ask_location(update)


# ---------------------------------------------------------------- location


async def _ask_location(update: Update) -> str:
    keyboard = ReplyKeyboardMarkup(
        [
            [KeyboardButton(texts_fa.BUTTON_SEND_LOCATION, request_location=True)],
            [texts_fa.BUTTON_SKIP],
        ],
        resize_keyboard=True,
        one_time_keyboard=True,
    )
    await update.effective_message.reply_text(texts_fa.ASK_LOCATION, reply_markup=keyboard)
    return LOCATION


async def location_pin(update: Update, context: BotContext) -> str:
    location = update.effective_message.location
    draft = _draft(context)
    draft["lat"], draft["lon"], draft["address"] = location.latitude, location.longitude, ""
    return await _show_review(update, context)


async def location_text(update: Update, context: BotContext) -> str:
    text = normalize(update.effective_message.text or "")
    if not ADDRESS_MIN <= len(text) <= ADDRESS_MAX:
        await update.effective_message.reply_text(
            texts_fa.ADDRESS_BAD_LENGTH.format(
                min=to_persian_digits(ADDRESS_MIN), max=to_persian_digits(ADDRESS_MAX)
            )
        )
        return LOCATION
    draft = _draft(context)
    draft["lat"], draft["lon"], draft["address"] = None, None, text
    return await _show_review(update, context)


async def location_skip(update: Update, context: BotContext) -> str:
    return await _show_review(update, context)


async def location_wrong(update: Update, context: BotContext) -> str:
    await update.effective_message.reply_text(texts_fa.LOCATION_WRONG_TYPE)
    return LOCATION


# ---------------------------------------------------------------- review, edit, confirm


def _review_card(context: BotContext) -> tuple[str, InlineKeyboardMarkup]:
    draft = _draft(context)
    category = context.catalog.category(draft["category"])
    resident_neighborhood = draft.get("neighborhood_name", "")
    if draft.get("voice"):
        description = texts_fa.VOICE_DESCRIPTION
    else:
        description = escape(draft.get("description", ""))
    media = draft["media"]
    if draft.get("lat") is not None:
        location = texts_fa.LOCATION_PIN
    else:
        location = escape(draft.get("address") or texts_fa.NOTHING)
    text = texts_fa.REVIEW.format(
        emoji=category.emoji,
        category=category.name,
        neighborhood=resident_neighborhood,
        description=description,
        media=texts_fa.MEDIA_COUNT.format(count=to_persian_digits(len(media)))
        if media
        else texts_fa.NOTHING,
        location=location,
    )
    share = texts_fa.BUTTON_SHARE.format(answer=texts_fa.YES if draft.get("share") else texts_fa.NO)
    rows: Buttons = [
        [(texts_fa.BUTTON_CONFIRM, "rp:ok")],
        [(share, "rp:sh")],
        [(texts_fa.BUTTON_EDIT, "rp:ed"), (texts_fa.BUTTON_CANCEL, "rp:x")],
    ]
    return text, keyboards.buttons(rows)


async def _show_review(update: Update, context: BotContext) -> str:
    _draft(context).pop("editing", None)
    text, markup = _review_card(context)
    await update.effective_message.reply_text(text, reply_markup=markup)
    return REVIEW


async def toggle_share(update: Update, context: BotContext) -> str:
    await update.callback_query.answer()
    draft = _draft(context)
    draft["share"] = not draft.get("share")
    text, markup = _review_card(context)
    await update.callback_query.edit_message_text(text, reply_markup=markup)
    return REVIEW


async def ask_edit_part(update: Update, context: BotContext) -> str:
    query = update.callback_query
    await query.answer()
    rows: Buttons = [
        [
            (texts_fa.BUTTON_EDIT_CATEGORY, "rp:e:cat"),
            (texts_fa.BUTTON_EDIT_DESCRIPTION, "rp:e:desc"),
        ],
        [(texts_fa.BUTTON_EDIT_MEDIA, "rp:e:media"), (texts_fa.BUTTON_EDIT_LOCATION, "rp:e:loc")],
    ]
    await query.edit_message_text(texts_fa.ASK_EDIT_PART, reply_markup=keyboards.buttons(rows))
    return EDIT_PART


async def edit_part(update: Update, context: BotContext) -> str:
    query = update.callback_query
    await query.answer()
    draft = _draft(context)
    draft["editing"] = True
    part = query.data.removeprefix("rp:e:")
    if part == "cat":
        await query.edit_message_text(texts_fa.ASK_CATEGORY, reply_markup=_categories(context))
        return CATEGORY
    await query.edit_message_reply_markup(None)
    if part == "desc":
        await query.message.reply_text(
            texts_fa.ASK_DESCRIPTION, reply_markup=keyboards.cancel_only()
        )
        return DESCRIBE
    if part == "media":
        draft["media"] = []
        await query.message.reply_text(
            texts_fa.ASK_MEDIA.format(max=to_persian_digits(MEDIA_MAX)),
            reply_markup=keyboards.continue_only(),
        )
        return MEDIA
    draft.pop("editing")  # the location step always ends at the review
    return await _ask_location(update)


async def confirm(update: Update, context: BotContext) -> str | int:
    query = update.callback_query
    await query.answer()
    resident = await _may_report(update, context)
    if resident is None:
        context.user_data.pop(_DRAFT, None)
        return ConversationHandler.END
    await query.edit_message_reply_markup(None)
    draft = _draft(context)
    if not draft.get("duplicates_seen"):
        similar = await _similar(context, resident, draft)
        if similar is not None:
            draft["duplicates_seen"] = True
            return await _offer_me_too(update, context, similar)
    return await _submit(update, context, resident)


async def _similar(context: BotContext, resident: Resident, draft: dict) -> Ticket | None:
    since = context.storage.now() - timedelta(days=tickets.DUPLICATE_WINDOW_DAYS)
    lat, lon = draft.get("lat"), draft.get("lon")
    candidates = await context.storage.similar_open_tickets(
        draft["category"],
        resident.neighborhood,
        since,
        exclude_resident=resident.user_id,
        box=tickets.box_around(lat, lon) if lat is not None and lon is not None else None,
    )
    return next(
        (t for t in candidates if tickets.joinable(t) and tickets.same_problem(t, lat, lon)), None
    )


async def _offer_me_too(update: Update, context: BotContext, similar: Ticket) -> str:
    notices = context.app.notices
    emoji, category = notices.category(similar)
    summary = texts_fa.DUPLICATE_SUMMARY.format(
        code=notices.code(similar),
        emoji=emoji,
        category=category,
        date=format_date(similar.created_at, context.app.tz),
        status=texts_fa.STATUS[similar.status],
        supporters=to_persian_digits(similar.supporters + 1),
    )
    _draft(context)["offered"] = similar.id  # the one ticket this person may join
    rows: Buttons = [
        [(texts_fa.BUTTON_ME_TOO, "rp:j")],
        [(texts_fa.BUTTON_NEW_ANYWAY, "rp:ok")],
    ]
    await update.effective_message.reply_text(
        texts_fa.DUPLICATE_FOUND.format(summary=summary),
        reply_markup=keyboards.buttons(rows),
    )
    return DUPLICATE


async def join(update: Update, context: BotContext) -> str | int:
    """'Me too': back the open ticket the bot offered this person in this flow, instead of
    filing a duplicate. The offer is kept in the draft, never taken from the button."""
    query = update.callback_query
    user_id = update.effective_user.id
    resident = await context.storage.get_resident(user_id)
    offered = _draft(context).get("offered")
    ticket = await context.storage.get_ticket(offered) if offered else None
    if (
        resident is None
        or ticket is None
        or ticket.neighborhood != resident.neighborhood
        or not tickets.joinable(ticket)
    ):
        await query.answer(texts_fa.OFFER_GONE, show_alert=True)
        return DUPLICATE
    await query.answer()
    await query.edit_message_reply_markup(None)
    notices = context.app.notices
    owner = await context.storage.get_resident(ticket.resident_id)

    def notify(changed: Ticket, followers: list[int]) -> list[Outgoing]:
        joined = texts_fa.JOINED.format(
            code=notices.code(changed), count=to_persian_digits(changed.supporters + 1)
        )
        return [_to_resident(user_id, joined), *notices.card_edit(changed, owner)]

    changed = await context.storage.add_supporter(ticket.id, user_id, notify)
    _LOGGER.info("User %s backs ticket %s", user_id, ticket.id)
    if changed is None:
        await query.message.reply_text(
            texts_fa.ALREADY_FOLLOWING, reply_markup=keyboards.main_menu()
        )
    context.user_data.pop(_DRAFT, None)
    return ConversationHandler.END


def _to_resident(user_id: int, text: str, ticket_id: int | None = None) -> Outgoing:
    """A message that also puts the main menu back under the resident's keyboard."""
    payload = {"text": text, "markup": keyboards.main_menu().to_dict()}
    return Outgoing(user_id, "message", payload, ticket_id=ticket_id)


async def _submit(update: Update, context: BotContext, resident: Resident) -> str | int:
    """Store the ticket with what it owes people; the draft goes only once it is stored. If the
    database cannot take it (disk full …), the resident is told it was not sent and may press
    confirm (BUTTON_CONFIRM) again."""
    draft = context.user_data[_DRAFT]
    catalog, notices = context.catalog, context.app.notices
    route = tickets.route(catalog, context.app.agency_chats, draft["category"])
    media = tuple(Media(kind, file_id) for kind, file_id in draft["media"])
    new = NewTicket(
        resident_id=resident.user_id,
        category=draft["category"],
        neighborhood=resident.neighborhood,
        agency=route.agency,
        status=route.status,
        description=draft.get("description", ""),
        voice_file_id=draft.get("voice"),
        latitude=draft.get("lat"),
        longitude=draft.get("lon"),
        address=draft.get("address", ""),
        share_contact=bool(draft.get("share")),
        media=media,
    )
    facilitators: list[int] = []
    if route.status != tickets.NEW:  # only a ticket for the facilitators' queue tells them
        facilitators = await context.storage.facilitators_of(resident.neighborhood)

    def notify(ticket: Ticket, followers: list[int]) -> list[Outgoing]:
        agency = notices.agency(ticket.agency)
        next_step = {
            tickets.NEW: texts_fa.NEXT_AGENCY,
            tickets.REVIEW: texts_fa.NEXT_REVIEW,
            tickets.QUEUED: texts_fa.NEXT_QUEUED,
        }[ticket.status].format(agency=agency)
        text = texts_fa.SUBMITTED.format(code=notices.code(ticket), next_step=next_step)
        out = [_to_resident(resident.user_id, text, ticket.id)]
        if ticket.status == tickets.NEW:
            return out + notices.deliver_to_agency(ticket, resident, media)
        reason = notices.queue_reason_no_chat(ticket) if ticket.status == tickets.QUEUED else ""
        return out + notices.triage(ticket, resident, media, facilitators, reason)

    user = update.effective_user
    try:
        await context.storage.create_ticket(
            new, notify, Actor(user.id, user.first_name, "resident")
        )
    except StorageUnavailable as exc:
        _LOGGER.error("Report of user %s not stored, the draft is kept: %s", user.id, exc)
        _, markup = _review_card(context)
        await update.effective_message.reply_text(
            texts_fa.REPORT_NOT_SAVED.format(button=texts_fa.BUTTON_CONFIRM), reply_markup=markup
        )
        return REVIEW
    context.user_data.pop(_DRAFT, None)
    return ConversationHandler.END


async def cancel(update: Update, context: BotContext) -> int:
    context.user_data.pop(_DRAFT, None)
    if update.callback_query:
        await update.callback_query.answer()
        await update.callback_query.edit_message_reply_markup(None)
    await update.effective_message.reply_text(
        texts_fa.REPORT_CANCELLED, reply_markup=keyboards.main_menu()
    )
    return ConversationHandler.END


async def interrupted(update: Update, context: BotContext) -> int:
    """A main-menu button in the middle of the flow: drop the draft and say so."""
    context.user_data.pop(_DRAFT, None)
    await update.effective_message.reply_text(
        texts_fa.FLOW_INTERRUPTED, reply_markup=keyboards.main_menu()
    )
    return ConversationHandler.END


def handlers(idle: IdleFlows) -> list[BaseHandler]:
    menu = filters.Text(keyboards.MAIN_MENU_LABELS)
    cancel_button = filters.Text([texts_fa.BUTTON_CANCEL])
    typed = PRIVATE & filters.TEXT & ~filters.COMMAND & ~menu & ~cancel_button
    flow = conversation(
        "report",
        idle,
        entry_points=[MessageHandler(PRIVATE & filters.Text([texts_fa.MENU_REPORT]), start)],
        states={
            CATEGORY: [CallbackQueryHandler(choose_category, pattern=r"^rp:c:")],
            DESCRIBE: [
                MessageHandler(typed, describe_text),
                MessageHandler(PRIVATE & filters.VOICE, describe_voice),
                MessageHandler(PRIVATE & filters.PHOTO, describe_photo),
                MessageHandler(PRIVATE & ~filters.COMMAND & ~menu & ~cancel_button, describe_wrong),
            ],
            MEDIA: [
                MessageHandler(PRIVATE & (filters.PHOTO | filters.VIDEO), add_media),
                MessageHandler(PRIVATE & filters.Text([texts_fa.BUTTON_CONTINUE]), media_done),
                MessageHandler(PRIVATE & ~filters.COMMAND & ~menu & ~cancel_button, media_wrong),
            ],
            LOCATION: [
                MessageHandler(PRIVATE & filters.LOCATION, location_pin),
                MessageHandler(PRIVATE & filters.Text([texts_fa.BUTTON_SKIP]), location_skip),
                MessageHandler(typed, location_text),
                MessageHandler(PRIVATE & ~filters.COMMAND & ~menu & ~cancel_button, location_wrong),
            ],
            REVIEW: [
                CallbackQueryHandler(confirm, pattern=r"^rp:ok$"),
                CallbackQueryHandler(toggle_share, pattern=r"^rp:sh$"),
                CallbackQueryHandler(ask_edit_part, pattern=r"^rp:ed$"),
            ],
            EDIT_PART: [CallbackQueryHandler(edit_part, pattern=r"^rp:e:(cat|desc|media|loc)$")],
            DUPLICATE: [
                CallbackQueryHandler(join, pattern=r"^rp:j$"),
                CallbackQueryHandler(confirm, pattern=r"^rp:ok$"),
            ],
        },
        fallbacks=[
            CommandHandler("cancel", cancel, filters=PRIVATE),
            CallbackQueryHandler(cancel, pattern=r"^rp:x$"),
            MessageHandler(PRIVATE & cancel_button, cancel),
            MessageHandler(PRIVATE & menu, interrupted),
        ],
    )
    return [flow]
