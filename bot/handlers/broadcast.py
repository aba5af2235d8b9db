"""/broadcast: a facilitator (their neighborhoods) or a super-admin (everyone, agency chats)
chooses an audience, sends the content, sees a preview exactly as residents will, and sends
now or at a Jalali date and time. /broadcasts lists recent ones; a running one can be stopped.
"""

from datetime import timedelta

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot import broadcasts, keyboards, texts_fa
from bot.access import Access, access_of
from bot.application import BotContext
from bot.delivery import send
from bot.flood_control import Priority
from bot.handlers import ID, IdleFlows, client_number, conversation
from bot.jalali import format_date, format_datetime, format_numeric, parse_jalali
from bot.keyboards import Buttons
from bot.persian import to_persian_digits
from bot.storage import Broadcast

AUDIENCE, CONTENT, PREVIEW, SCHEDULE, CONFIRM_SCHEDULE = (
    "audience", "content", "preview", "schedule", "confirm_schedule",
)  # fmt: skip
TEXT_MAX, CAPTION_MAX = 3500, 900  # below Telegram's 4096 / 1024, leaving room for the header
PRIVATE = filters.ChatType.PRIVATE
_DRAFT = "broadcast"


def _draft(context: BotContext) -> dict:
    return context.user_data.setdefault(_DRAFT, {})


async def _still_allowed(update: Update, context: BotContext) -> bool:
    """The draft's buttons act only while the presser may still address its audience (a role
    revoked since /broadcast ends the draft)."""
    draft = context.user_data.get(_DRAFT) or {}
    access = await access_of(context.app, update.effective_user.id)
    if access.may_address(draft.get("audience", {})):
        return True
    context.user_data.pop(_DRAFT, None)
    await update.callback_query.answer(texts_fa.NOT_ALLOWED, show_alert=True)
    await update.callback_query.edit_message_reply_markup(None)
    return False


# ---------------------------------------------------------------- audience


async def start(update: Update, context: BotContext) -> str | int:
    access = await access_of(context.app, update.effective_user.id)
    if not access.may_broadcast:
        await update.effective_message.reply_text(texts_fa.BROADCAST_ONLY_STAFF)
        return ConversationHandler.END
    only_one = access.neighborhoods.sole()
    context.user_data[_DRAFT] = {"audience": {"neighborhoods": [only_one] if only_one else []}}
    await update.effective_message.reply_text(
        texts_fa.ASK_AUDIENCE, reply_markup=_audience_buttons(context, access)
    )
    return AUDIENCE


def _audience_buttons(context: BotContext, access: Access) -> InlineKeyboardMarkup:
    """What this person may address, the draft's choices checked."""
    audience = _draft(context)["audience"]

    def mark(on: bool, label: str) -> str:
        return (texts_fa.CHECKED if on else "") + label

    rows: Buttons = []
    if access.is_admin:
        rows.append([(mark(audience.get("all", False), texts_fa.AUDIENCE_ALL), "bc:a:all")])
    for n in context.catalog.neighborhoods:
        if n.key in access.neighborhoods:
            rows.append([(mark(n.key in audience["neighborhoods"], n.name), f"bc:a:n:{n.key}")])
    if access.is_admin:
        rows.append(
            [(mark(audience.get("agencies", False), texts_fa.AUDIENCE_AGENCIES), "bc:a:ag")]
        )
    rows.append([(texts_fa.BUTTON_CONTINUE, "bc:a:ok")])
    return keyboards.buttons(rows)


async def toggle_audience(update: Update, context: BotContext) -> str:
    query = update.callback_query
    access = await access_of(context.app, update.effective_user.id)
    audience = _draft(context).setdefault("audience", {"neighborhoods": []})
    choice = query.data.removeprefix("bc:a:")
    if choice == "all" and access.is_admin:
        audience["all"] = not audience.get("all")
    elif choice == "ag" and access.is_admin:
        audience["agencies"] = not audience.get("agencies")
    elif choice.startswith("n:") and choice[2:] in access.neighborhoods:
        key = choice[2:]
        if context.catalog.neighborhood(key) is None:
            await query.answer(texts_fa.BUTTON_INVALID, show_alert=True)
            return AUDIENCE
        chosen = audience["neighborhoods"]
        if key in chosen:
            chosen.remove(key)
        else:
            chosen.append(key)
    else:
        await query.answer(texts_fa.NOT_ALLOWED, show_alert=True)
        return AUDIENCE
    await query.answer()
    await query.edit_message_reply_markup(_audience_buttons(context, access))
    return AUDIENCE


async def audience_chosen(update: Update, context: BotContext) -> str:
    query = update.callback_query
    audience = _draft(context)["audience"]
    if not (audience.get("all") or audience.get("neighborhoods") or audience.get("agencies")):
        await query.answer(texts_fa.AUDIENCE_EMPTY, show_alert=True)
        return AUDIENCE
    await query.answer()
    await query.edit_message_reply_markup(None)
    await query.message.reply_text(texts_fa.ASK_CONTENT)
    return CONTENT


# ---------------------------------------------------------------- content and preview


async def content(update: Update, context: BotContext) -> str:
    message = update.effective_message
    if message.photo:
        kind, file_id, text, limit = (
            "photo",
            message.photo[-1].file_id,
            message.caption,
            CAPTION_MAX,
        )
    elif message.document:
        kind, file_id, text, limit = (
            "document",
            message.document.file_id,
            message.caption,
            CAPTION_MAX,
        )
    else:
        kind, file_id, text, limit = "message", None, message.text, TEXT_MAX
    text = (text or "").strip()
    if len(text) > limit:
        await message.reply_text(
            texts_fa.CONTENT_TOO_LONG.format(
                max=to_persian_digits(limit), length=to_persian_digits(len(text))
            )
        )
        return CONTENT
    draft = _draft(context)
    draft.update(kind=kind, file_id=file_id, text=text)
    preview = broadcasts.preview_row(message.chat_id, kind, text, file_id)
    await send(context.bot, preview, Priority.REPLY)
    count = len(set(await broadcasts.recipients(context.app, draft["audience"])))
    rows: Buttons = [
        [(texts_fa.BUTTON_SEND_NOW, "bc:send")],
        [(texts_fa.BUTTON_SCHEDULE, "bc:sched"), (texts_fa.BUTTON_CANCEL, "bc:x")],
    ]
    await message.reply_text(
        texts_fa.PREVIEW_ABOVE.format(
            count=to_persian_digits(count),
            audience=broadcasts.describe_audience(context.app, draft["audience"]),
        ),
        reply_markup=keyboards.buttons(rows),
    )
    return PREVIEW


async def content_wrong(update: Update, context: BotContext) -> str:
    await update.effective_message.reply_text(texts_fa.CONTENT_WRONG_TYPE)
    return CONTENT


# ---------------------------------------------------------------- send now or later


async def send_now(update: Update, context: BotContext) -> int:
    """«Send now», or confirming the time typed after «schedule»."""
    query = update.callback_query
    if not await _still_allowed(update, context):
        return ConversationHandler.END
    await query.answer()
    await query.edit_message_reply_markup(None)
    draft = context.user_data.pop(_DRAFT)
    broadcast = await context.storage.create_broadcast(
        update.effective_user.id,
        draft["audience"],
        draft["kind"],
        draft["text"],
        draft["file_id"],
        draft.get("at") and parse_jalali(draft["at"], context.app.tz),
    )
    if draft.get("at") and broadcast.scheduled_at is not None:
        await query.message.reply_text(
            texts_fa.SCHEDULED.format(
                id=to_persian_digits(broadcast.id),
                time=format_datetime(broadcast.scheduled_at, context.app.tz),
            )
        )
        await _attach_progress(context, broadcast.id, query.message.chat_id)
        return ConversationHandler.END
    if await broadcasts.start(context.app, broadcast) == 0:
        await query.message.reply_text(texts_fa.NO_RECIPIENTS)
        return ConversationHandler.END
    await _attach_progress(context, broadcast.id, query.message.chat_id)
    return ConversationHandler.END


async def _attach_progress(context: BotContext, broadcast_id: int, chat_id: int) -> None:
    """The one message the author watches: edited by the broadcast job every few seconds."""
    broadcast = await context.storage.get_broadcast(broadcast_id)
    if broadcast is None:
        return
    counts = await context.storage.outbox_counts(broadcast_id)
    text = broadcasts.progress_text(broadcast, counts, context.settings.send_rate)
    if broadcast.state == "scheduled":
        text = texts_fa.BROADCAST_LINE.format(**_line_figures(context, broadcast, counts))
    message = await context.bot.send_message(
        chat_id, text, reply_markup=keyboards.buttons(broadcasts.stop_button(broadcast_id))
    )
    await context.storage.set_progress_message(broadcast_id, chat_id, message.message_id)


async def ask_schedule(update: Update, context: BotContext) -> str | int:
    query = update.callback_query
    if not await _still_allowed(update, context):
        return ConversationHandler.END
    await query.answer()
    await query.edit_message_reply_markup(None)
    await query.message.reply_text(texts_fa.ASK_SCHEDULE.format(example=_example(context)))
    return SCHEDULE


def _example(context: BotContext) -> str:
    tomorrow = context.storage.now() + timedelta(days=1)
    return format_numeric(tomorrow.replace(minute=0), context.app.tz)


async def schedule_typed(update: Update, context: BotContext) -> str:
    moment = parse_jalali(update.effective_message.text or "", context.app.tz)
    if moment is None:
        await update.effective_message.reply_text(
            texts_fa.SCHEDULE_INVALID.format(example=_example(context))
        )
        return SCHEDULE
    if moment <= context.storage.now():
        await update.effective_message.reply_text(texts_fa.SCHEDULE_PAST)
        return SCHEDULE
    draft = _draft(context)
    draft["at"] = update.effective_message.text
    count = len(set(await broadcasts.recipients(context.app, draft["audience"])))
    rows: Buttons = [
        [(texts_fa.BUTTON_CONFIRM_SCHEDULE, "bc:send")],
        [(texts_fa.BUTTON_CANCEL, "bc:x")],
    ]
    await update.effective_message.reply_text(
        texts_fa.CONFIRM_SCHEDULE.format(
            time=format_datetime(moment, context.app.tz), count=to_persian_digits(count)
        ),
        reply_markup=keyboards.buttons(rows),
    )
    return CONFIRM_SCHEDULE


async def cancel(update: Update, context: BotContext) -> int:
    context.user_data.pop(_DRAFT, None)
    if update.callback_query:
        await update.callback_query.answer()
        await update.callback_query.edit_message_reply_markup(None)
    await update.effective_message.reply_text(texts_fa.BROADCAST_CANCELLED_DRAFT)
    return ConversationHandler.END


# ---------------------------------------------------------------- stop, list


async def stop(update: Update, context: BotContext) -> None:
    query = update.callback_query
    broadcast_id = client_number(query.data.removeprefix("bc:stop:"))
    broadcast = await context.storage.get_broadcast(broadcast_id) if broadcast_id else None
    access = await access_of(context.app, update.effective_user.id)
    if broadcast is None or not access.may_stop(broadcast.author_id, broadcast.audience):
        await query.answer(texts_fa.NOT_ALLOWED, show_alert=True)
        return
    await context.storage.cancel_broadcast(broadcast.id)
    await query.answer(texts_fa.STOPPED)
    broadcast = await context.storage.get_broadcast(broadcast.id) or broadcast
    await broadcasts.show_progress(
        context.app, broadcast, await context.storage.outbox_counts(broadcast.id)
    )


async def list_recent(update: Update, context: BotContext) -> None:
    access = await access_of(context.app, update.effective_user.id)
    if not access.may_broadcast:
        await update.effective_message.reply_text(texts_fa.BROADCAST_ONLY_STAFF)
        return
    found = await context.storage.recent_broadcasts(10, None if access.is_admin else access.user_id)
    if not found:
        await update.effective_message.reply_text(texts_fa.BROADCASTS_EMPTY)
        return
    lines = [texts_fa.BROADCASTS_HEADER]
    for broadcast in found:
        counts = await context.storage.outbox_counts(broadcast.id)
        lines.append(texts_fa.BROADCAST_LINE.format(**_line_figures(context, broadcast, counts)))
    await update.effective_message.reply_text("\n".join(lines))


def _line_figures(
    context: BotContext, broadcast: Broadcast, counts: dict[str, int]
) -> dict[str, str]:
    when = broadcast.scheduled_at or broadcast.created_at
    return {
        "id": to_persian_digits(broadcast.id),
        "date": format_date(when, context.app.tz),
        "audience": broadcasts.describe_audience(context.app, broadcast.audience),
        "state": texts_fa.BROADCAST_STATE[broadcast.state],
        "sent": to_persian_digits(counts.get("sent", 0)),
        "total": to_persian_digits(broadcast.total),
        "blocked": to_persian_digits(counts.get("blocked", 0)),
        "failed": to_persian_digits(counts.get("failed", 0)),
    }


def handlers(idle: IdleFlows) -> list[BaseHandler]:
    flow = conversation(
        "broadcast",
        idle,
        entry_points=[CommandHandler("broadcast", start, filters=PRIVATE)],
        states={
            AUDIENCE: [
                CallbackQueryHandler(audience_chosen, pattern=r"^bc:a:ok$"),
                CallbackQueryHandler(toggle_audience, pattern=r"^bc:a:"),
            ],
            CONTENT: [
                MessageHandler(
                    PRIVATE
                    & (filters.PHOTO | filters.Document.ALL | filters.TEXT)
                    & ~filters.COMMAND,
                    content,
                ),
                MessageHandler(PRIVATE & ~filters.COMMAND, content_wrong),
            ],
            PREVIEW: [
                CallbackQueryHandler(send_now, pattern=r"^bc:send$"),
                CallbackQueryHandler(ask_schedule, pattern=r"^bc:sched$"),
            ],
            SCHEDULE: [MessageHandler(PRIVATE & filters.TEXT & ~filters.COMMAND, schedule_typed)],
            CONFIRM_SCHEDULE: [CallbackQueryHandler(send_now, pattern=r"^bc:send$")],
        },
        fallbacks=[
            CommandHandler("cancel", cancel, filters=PRIVATE),
            CallbackQueryHandler(cancel, pattern=r"^bc:x$"),
        ],
    )
    return [
        flow,
        CommandHandler("broadcasts", list_recent, filters=PRIVATE),
        CallbackQueryHandler(stop, pattern=rf"^bc:stop:{ID}$"),
    ]
