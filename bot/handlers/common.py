"""Help, /cancel outside a flow, menu entries not built yet, pointers for anything unexpected,
expired buttons, blocked/unblocked bot, and the error handler.

These are registered last: every capability module gets the first chance at an update.
"""

import html
import logging
import traceback

from telegram import ChatMember, Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot import agency_groups, keyboards, texts_fa
from bot.application import BotContext

_LOGGER = logging.getLogger(__name__)
PRIVATE = filters.ChatType.PRIVATE

# Main-menu entries whose capability has not landed yet.
COMING_SOON_LABELS = [texts_fa.MENU_SESSIONS, texts_fa.MENU_SURVEYS]


async def help_command(update: Update, context: BotContext) -> None:
    await update.effective_message.reply_text(texts_fa.HELP, reply_markup=keyboards.main_menu())


async def nothing_to_cancel(update: Update, context: BotContext) -> None:
    await update.effective_message.reply_text(
        texts_fa.NOTHING_TO_CANCEL, reply_markup=keyboards.main_menu()
    )


async def coming_soon(update: Update, context: BotContext) -> None:
    await update.effective_message.reply_text(
        texts_fa.COMING_SOON, reply_markup=keyboards.main_menu()
    )


async def my_id(update: Update, context: BotContext) -> None:
    await update.effective_message.reply_text(
        texts_fa.YOUR_ID.format(user_id=update.effective_user.id)
    )


async def use_menu(update: Update, context: BotContext) -> None:
    """Anything unexpected in a private chat: a short pointer, never silence."""
    registered = await context.storage.get_resident(update.effective_user.id) is not None
    if registered:
        await update.effective_message.reply_text(
            texts_fa.USE_MENU, reply_markup=keyboards.main_menu()
        )
    else:
        await update.effective_message.reply_text(texts_fa.NOT_REGISTERED)


async def expired_button(update: Update, context: BotContext) -> None:
    """A button no handler claims: from a finished flow, an old message or a forged client."""
    query = update.callback_query
    _LOGGER.info("Unclaimed callback %r from user %s", query.data, query.from_user.id)
    await query.answer(texts_fa.BUTTON_EXPIRED, show_alert=True)
    if query.message and query.message.chat.type == ChatType.PRIVATE:
        await query.message.reply_text(texts_fa.BUTTON_EXPIRED, reply_markup=keyboards.main_menu())


async def membership_changed(update: Update, context: BotContext) -> None:
    """A resident blocked (kicked) or unblocked the bot in their private chat; or the bot was
    removed from an agency's group, which the super-admins must hear about, or added back, which
    offers the group's open tickets again."""
    change = update.my_chat_member
    gone = (ChatMember.BANNED, ChatMember.LEFT)
    active = change.new_chat_member.status not in gone
    if change.chat.type == ChatType.PRIVATE:
        if await context.storage.get_resident(change.from_user.id) is not None:
            await context.storage.set_active(change.from_user.id, active)
        return
    if active:
        if change.old_chat_member.status in gone:  # added back
            await agency_groups.chat_back(context.app, change.chat.id)
        return
    for agency in context.app.agency_chats.agencies_in(change.chat.id):
        _LOGGER.warning("The bot was removed from %s's chat %s", agency.key, change.chat.id)
        text = texts_fa.REMOVED_FROM_AGENCY_CHAT.format(agency=agency.name)
        await context.storage.enqueue(context.app.notices.to_admins(text))


async def group_migrated(update: Update, context: BotContext) -> None:
    """A group became a supergroup: Telegram says so in the old chat (migrate_to_chat_id) and
    in the new one (migrate_from_chat_id). An agency's group is followed to its new id."""
    message = update.effective_message
    if message.migrate_to_chat_id:
        old, new = message.chat.id, message.migrate_to_chat_id
    else:
        old, new = message.migrate_from_chat_id, message.chat.id
    await agency_groups.chat_moved(context.app, old, new)


async def on_error(update: object, context: BotContext) -> None:
    """Log the update id and the traceback; tell the person a polite sentence."""
    update_id = update.update_id if isinstance(update, Update) else None
    trace = "".join(traceback.format_exception(context.error))
    _LOGGER.error("Error while handling update %s:\n%s", update_id, trace)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    if update.effective_chat.type != ChatType.PRIVATE:
        return
    try:
        if update.callback_query:
            await update.callback_query.answer()
        await context.bot.send_message(update.effective_chat.id, html.escape(texts_fa.ERROR))
    except TelegramError:
        _LOGGER.warning("Could not tell chat %s about the error", update.effective_chat.id)


def handlers() -> list[BaseHandler]:
    return [
        CommandHandler("help", help_command, filters=PRIVATE),
        MessageHandler(PRIVATE & filters.Text([texts_fa.MENU_HELP]), help_command),
        CommandHandler("cancel", nothing_to_cancel, filters=PRIVATE),
        CommandHandler("myid", my_id, filters=PRIVATE),
        MessageHandler(PRIVATE & filters.Text(COMING_SOON_LABELS), coming_soon),
        ChatMemberHandler(membership_changed, ChatMemberHandler.MY_CHAT_MEMBER),
        MessageHandler(filters.StatusUpdate.MIGRATE, group_migrated),
        CallbackQueryHandler(expired_button),
        MessageHandler(PRIVATE & ~filters.StatusUpdate.ALL, use_menu),
    ]
