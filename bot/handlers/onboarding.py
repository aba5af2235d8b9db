"""Resident onboarding: /start (with an optional `n_<neighborhood>` deep link), choose the
neighborhood, optionally share the phone number, land on the main menu.

The phone step is also entered from settings (add a phone number) for a registered resident.
"""

from telegram import ReplyKeyboardRemove, Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot import keyboards, texts_fa
from bot.application import BotContext
from bot.handlers import IdleFlows, conversation
from bot.persian import escape, normalize_mobile, to_ascii_digits

CHOOSING_NEIGHBORHOOD = "choosing_neighborhood"
SHARING_PHONE = "sharing_phone"
DEEP_LINK_PREFIX = "n_"
CHOOSE_PREFIX = "nb:"
ADD_PHONE = "set:phadd"
_DRAFT = "onboarding"  # user_data key: {"neighborhood": key}


async def start(update: Update, context: BotContext) -> str | int:
    user = update.effective_user
    message = update.effective_message
    link_key = _deep_link_neighborhood(context)
    resident = await context.storage.get_resident(user.id)
    if resident is not None:
        if not resident.active:
            await context.storage.set_active(user.id, True)
        if link_key and link_key != resident.neighborhood:
            await context.storage.set_neighborhood(user.id, link_key)
            text = texts_fa.NEIGHBORHOOD_CHANGED.format(neighborhood=_name(context, link_key))
        else:
            text = texts_fa.WELCOME_BACK.format(
                name=escape(user.first_name), neighborhood=_name(context, resident.neighborhood)
            )
        await message.reply_text(text, reply_markup=keyboards.main_menu())
        return ConversationHandler.END

    await message.reply_text(
        texts_fa.WELCOME.format(name=escape(user.first_name)), reply_markup=ReplyKeyboardRemove()
    )
    if link_key:
        context.user_data[_DRAFT] = {"neighborhood": link_key}
        neighborhood = context.catalog.neighborhood(link_key)
        await message.reply_text(
            texts_fa.NEIGHBORHOOD_FROM_LINK.format(
                office=neighborhood.office, neighborhood=neighborhood.name
            )
        )
        return await _ask_phone(update)
    context.user_data[_DRAFT] = {}
    await message.reply_text(
        texts_fa.ASK_NEIGHBORHOOD,
        reply_markup=keyboards.neighborhoods(context.catalog, CHOOSE_PREFIX),
    )
    return CHOOSING_NEIGHBORHOOD


async def choose_neighborhood(update: Update, context: BotContext) -> str:
    query = update.callback_query
    key = query.data.removeprefix(CHOOSE_PREFIX)
    neighborhood = context.catalog.neighborhood(key)
    if neighborhood is None:
        await query.answer(texts_fa.BUTTON_INVALID, show_alert=True)
        return CHOOSING_NEIGHBORHOOD
    await query.answer()
    context.user_data[_DRAFT] = {"neighborhood": key}
    await query.edit_message_text(
        texts_fa.NEIGHBORHOOD_CHOSEN.format(neighborhood=neighborhood.name)
    )
    return await _ask_phone(update)


async def neighborhood_use_button(update: Update, context: BotContext) -> str:
    await update.effective_message.reply_text(
        texts_fa.NEIGHBORHOOD_USE_BUTTON,
        reply_markup=keyboards.neighborhoods(context.catalog, CHOOSE_PREFIX),
    )
    return CHOOSING_NEIGHBORHOOD


async def add_phone_from_settings(update: Update, context: BotContext) -> str | int:
    query = update.callback_query
    await query.answer()
    if await context.storage.get_resident(update.effective_user.id) is None:
        await query.message.reply_text(texts_fa.NOT_REGISTERED)
        return ConversationHandler.END
    context.user_data[_DRAFT] = {}
    return await _ask_phone(update)


async def contact_shared(update: Update, context: BotContext) -> str | int:
    contact = update.effective_message.contact
    if contact.user_id != update.effective_user.id:
        await update.effective_message.reply_text(
            texts_fa.PHONE_NOT_YOURS, reply_markup=keyboards.phone_request()
        )
        return SHARING_PHONE
    digits = to_ascii_digits(contact.phone_number).lstrip("+")
    phone = normalize_mobile(digits) or f"+{digits}"
    return await _finish(update, context, phone)


async def skip_phone(update: Update, context: BotContext) -> str | int:
    return await _finish(update, context, None)


async def phone_use_button(update: Update, context: BotContext) -> str:
    await update.effective_message.reply_text(
        texts_fa.PHONE_USE_BUTTON, reply_markup=keyboards.phone_request()
    )
    return SHARING_PHONE


async def cancel(update: Update, context: BotContext) -> int:
    context.user_data.pop(_DRAFT, None)
    registered = await context.storage.get_resident(update.effective_user.id) is not None
    await update.effective_message.reply_text(
        texts_fa.CANCELLED if registered else texts_fa.CANCELLED_NOT_REGISTERED,
        reply_markup=keyboards.main_menu() if registered else ReplyKeyboardRemove(),
    )
    return ConversationHandler.END


async def _ask_phone(update: Update) -> str:
    await update.effective_message.reply_text(
        texts_fa.ASK_PHONE, reply_markup=keyboards.phone_request()
    )
    return SHARING_PHONE


async def _finish(update: Update, context: BotContext, phone: str | None) -> str | int:
    user = update.effective_user
    draft = context.user_data.pop(_DRAFT, {})
    message = update.effective_message
    if draft.get("neighborhood") and context.catalog.neighborhood(draft["neighborhood"]):
        await context.storage.save_resident(user.id, user.first_name, draft["neighborhood"], phone)
        text = texts_fa.REGISTERED
    elif await context.storage.get_resident(user.id) is not None:  # from settings: the phone
        if phone:
            await context.storage.set_phone(user.id, phone)
        text = texts_fa.PHONE_SAVED if phone else texts_fa.PHONE_SKIPPED
    else:  # the draft was lost: start again rather than guess a neighborhood
        return await start(update, context)
    await message.reply_text(text, reply_markup=keyboards.main_menu())
    return ConversationHandler.END


def _deep_link_neighborhood(context: BotContext) -> str | None:
    if not context.args:
        return None
    key = context.args[0].removeprefix(DEEP_LINK_PREFIX)
    if context.args[0].startswith(DEEP_LINK_PREFIX) and context.catalog.neighborhood(key):
        return key
    return None


def _name(context: BotContext, key: str) -> str:
    neighborhood = context.catalog.neighborhood(key)
    return neighborhood.name if neighborhood else key


def handlers(idle: IdleFlows) -> list[BaseHandler]:
    private = filters.ChatType.PRIVATE
    cancel_handler = CommandHandler("cancel", cancel, filters=private)
    flow = conversation(
        "onboarding",
        idle,
        entry_points=[
            CommandHandler("start", start, filters=private),
            CallbackQueryHandler(add_phone_from_settings, pattern=f"^{ADD_PHONE}$"),
        ],
        states={
            CHOOSING_NEIGHBORHOOD: [
                CallbackQueryHandler(choose_neighborhood, pattern=f"^{CHOOSE_PREFIX}"),
                MessageHandler(private & ~filters.COMMAND, neighborhood_use_button),
            ],
            SHARING_PHONE: [
                MessageHandler(private & filters.CONTACT, contact_shared),
                MessageHandler(private & filters.Text([texts_fa.BUTTON_SKIP_PHONE]), skip_phone),
                MessageHandler(private & ~filters.COMMAND, phone_use_button),
            ],
        },
        fallbacks=[cancel_handler],
    )
    return [flow]
