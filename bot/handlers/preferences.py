"""The resident's settings: change neighborhood, add or remove the phone number.

Adding a phone number reuses the onboarding phone step (callback `set:phadd`).
"""

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, MessageHandler, filters

from bot import keyboards, texts_fa
from bot.application import BotContext
from bot.handlers.onboarding import ADD_PHONE
from bot.keyboards import Buttons
from bot.persian import isolate_ltr
from bot.storage import Resident

SHOW = "set:show"
CHANGE_NEIGHBORHOOD = "set:nbh"
CHOOSE_PREFIX = "set:nb:"
REMOVE_PHONE = "set:phdel"
ANNOUNCEMENTS = "set:ann"


def _card(context: BotContext, resident: Resident) -> tuple[str, InlineKeyboardMarkup]:
    neighborhood = context.catalog.neighborhood(resident.neighborhood)
    announcements = (
        texts_fa.ANNOUNCEMENTS_ON if resident.announcements else texts_fa.ANNOUNCEMENTS_OFF
    )
    text = texts_fa.SETTINGS.format(
        neighborhood=neighborhood.name if neighborhood else resident.neighborhood,
        phone=isolate_ltr(resident.phone) if resident.phone else texts_fa.NO_PHONE,
    ) + texts_fa.SETTINGS_ANNOUNCEMENTS.format(state=announcements)
    phone = (
        (texts_fa.BUTTON_REMOVE_PHONE, REMOVE_PHONE)
        if resident.phone
        else (texts_fa.BUTTON_ADD_PHONE, ADD_PHONE)
    )
    rows: Buttons = [
        [(texts_fa.BUTTON_CHANGE_NEIGHBORHOOD, CHANGE_NEIGHBORHOOD)],
        [phone],
        [(texts_fa.BUTTON_ANNOUNCEMENTS.format(state=announcements), ANNOUNCEMENTS)],
    ]
    return text, keyboards.buttons(rows)


async def _resident_or_tell(update: Update, context: BotContext) -> Resident | None:
    resident = await context.storage.get_resident(update.effective_user.id)
    if resident is None:
        if update.callback_query:
            await update.callback_query.answer()
        await update.effective_message.reply_text(texts_fa.NOT_REGISTERED)
    return resident


async def show(update: Update, context: BotContext) -> None:
    """The settings card: sent for the menu button, edited in place for the back button."""
    resident = await _resident_or_tell(update, context)
    if resident is not None:
        if update.callback_query:
            await update.callback_query.answer()
        await _render(update, context, resident)


async def _render(update: Update, context: BotContext, resident: Resident | None) -> None:
    if resident is None:  # gone meanwhile (an account deleted in another chat)
        return
    text, markup = _card(context, resident)
    if update.callback_query:
        await update.callback_query.edit_message_text(text, reply_markup=markup)
    else:
        await update.effective_message.reply_text(text, reply_markup=markup)


async def change_neighborhood(update: Update, context: BotContext) -> None:
    if await _resident_or_tell(update, context) is None:
        return
    query = update.callback_query
    await query.answer()
    rows: Buttons = [[(n.name, CHOOSE_PREFIX + n.key)] for n in context.catalog.neighborhoods]
    rows.append([(texts_fa.BUTTON_BACK, SHOW)])
    await query.edit_message_text(texts_fa.ASK_NEIGHBORHOOD, reply_markup=keyboards.buttons(rows))


async def choose_neighborhood(update: Update, context: BotContext) -> None:
    query = update.callback_query
    key = query.data.removeprefix(CHOOSE_PREFIX)
    if context.catalog.neighborhood(key) is None:
        await query.answer(texts_fa.BUTTON_INVALID, show_alert=True)
        return
    if await _resident_or_tell(update, context) is None:
        return
    resident = await context.storage.set_neighborhood(update.effective_user.id, key)
    await query.answer(texts_fa.NEIGHBORHOOD_CHANGED_SHORT)
    await _render(update, context, resident)


async def remove_phone(update: Update, context: BotContext) -> None:
    if await _resident_or_tell(update, context) is None:
        return
    resident = await context.storage.set_phone(update.effective_user.id, None)
    await update.callback_query.answer(texts_fa.PHONE_REMOVED_SHORT)
    await _render(update, context, resident)


async def toggle_announcements(update: Update, context: BotContext) -> None:
    """Announcements off (or on again); personal notices about tickets come either way."""
    resident = await _resident_or_tell(update, context)
    if resident is None:
        return
    resident = await context.storage.set_announcements(resident.user_id, not resident.announcements)
    await update.callback_query.answer()
    await _render(update, context, resident)


def handlers() -> list[BaseHandler]:
    return [
        MessageHandler(filters.ChatType.PRIVATE & filters.Text([texts_fa.MENU_SETTINGS]), show),
        CallbackQueryHandler(show, pattern=f"^{SHOW}$"),
        CallbackQueryHandler(change_neighborhood, pattern=f"^{CHANGE_NEIGHBORHOOD}$"),
        CallbackQueryHandler(choose_neighborhood, pattern=f"^{CHOOSE_PREFIX}"),
        CallbackQueryHandler(remove_phone, pattern=f"^{REMOVE_PHONE}$"),
        CallbackQueryHandler(toggle_announcements, pattern=f"^{ANNOUNCEMENTS}$"),
    ]
