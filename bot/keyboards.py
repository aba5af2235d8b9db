"""Keyboards shared by several handlers. Callback data is short ASCII: `area:action[:arg]`.

Inline buttons are written as rows of (label, callback data); `buttons()` makes the markup a
handler sends, `inline()` the Bot API JSON an outbox row stores. Rows are reversed so that
they read right to left.
"""

import functools

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    Update,
)

from bot import texts_fa
from config.catalog import Catalog

Buttons = list[list[tuple[str, str]]]


def inline(rows: Buttons) -> dict:
    return {
        "inline_keyboard": [
            [{"text": label, "callback_data": data} for label, data in reversed(row)]
            for row in rows
        ]
    }


def buttons(rows: Buttons) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for label, data in reversed(row)]
         for row in rows]
    )  # fmt: skip


def page_nav(page: int, has_more: bool, prefix: str) -> list[tuple[str, str]]:
    """«previous» / «next» buttons for page `page` (from 0) of a list."""
    nav = []
    if page > 0:
        nav.append((texts_fa.BUTTON_PREVIOUS, f"{prefix}{page - 1}"))
    if has_more:
        nav.append((texts_fa.BUTTON_NEXT, f"{prefix}{page + 1}"))
    return nav


async def show(update: Update, text: str, markup: InlineKeyboardMarkup | None) -> None:
    """Edit the message whose button was pressed, or answer a typed message."""
    if update.callback_query:
        await update.callback_query.edit_message_text(text, reply_markup=markup)
    elif update.effective_message is not None:
        await update.effective_message.reply_text(text, reply_markup=markup)


MAIN_MENU_ROWS = (
    (texts_fa.MENU_REPORT, texts_fa.MENU_MY_REPORTS),
    (texts_fa.MENU_SESSIONS, texts_fa.MENU_SURVEYS),
    (texts_fa.MENU_SETTINGS, texts_fa.MENU_HELP),
)


MAIN_MENU_LABELS = [label for row in MAIN_MENU_ROWS for label in row]


@functools.cache  # python-telegram-bot's objects are immutable: one serves every message
def main_menu() -> ReplyKeyboardMarkup:
    # Reply-keyboard rows are laid out left to right: reverse them so the first is on the right.
    return ReplyKeyboardMarkup(
        [list(reversed(row)) for row in MAIN_MENU_ROWS],
        resize_keyboard=True,
        is_persistent=True,
        input_field_placeholder=texts_fa.MENU_PLACEHOLDER,
    )


def phone_request() -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        [
            [KeyboardButton(texts_fa.BUTTON_SHARE_PHONE, request_contact=True)],
            [texts_fa.BUTTON_SKIP_PHONE],
        ],
        resize_keyboard=True,
        one_time_keyboard=True,
    )


def neighborhoods(catalog: Catalog, prefix: str) -> InlineKeyboardMarkup:
    """One button a row (long Persian names), callback data `<prefix><key>`."""
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(n.name, callback_data=prefix + n.key)]
            for n in catalog.neighborhoods
        ]
    )


def cancel_only() -> ReplyKeyboardMarkup:
    """Under a step that wants typing: the way out stays one tap away."""
    return ReplyKeyboardMarkup([[texts_fa.BUTTON_CANCEL]], resize_keyboard=True)


def continue_only() -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        [[texts_fa.BUTTON_CONTINUE], [texts_fa.BUTTON_CANCEL]], resize_keyboard=True
    )
