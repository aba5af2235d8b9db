"""The bot's command menu: Persian descriptions for residents, a larger menu for staff, the
largest for super-admins; a supervisor's holds what they may read.

Telegram-compatible servers (Bale) may refuse these calls: each is best effort, logged, never fatal.
"""

import logging

from telegram import (
    Bot,
    BotCommand,
    BotCommandScope,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
)
from telegram.error import TelegramError

from bot import texts_fa
from bot.access import Access
from bot.storage import Storage

_LOGGER = logging.getLogger(__name__)

RESIDENT_COMMANDS = (
    BotCommand("start", texts_fa.COMMAND_START),
    BotCommand("help", texts_fa.COMMAND_HELP),
    BotCommand("cancel", texts_fa.COMMAND_CANCEL),
    BotCommand("myid", texts_fa.COMMAND_MYID),
)
STAFF_COMMANDS = (
    *RESIDENT_COMMANDS,
    BotCommand("queue", texts_fa.COMMAND_QUEUE),
    BotCommand("ticket", texts_fa.COMMAND_TICKET),
    BotCommand("broadcast", texts_fa.COMMAND_BROADCAST),
    BotCommand("broadcasts", texts_fa.COMMAND_BROADCASTS),
    BotCommand("chatid", texts_fa.COMMAND_CHATID),
)
# The governorate reads the queue and tickets; it neither triages nor announces.
SUPERVISOR_COMMANDS = tuple(
    command for command in STAFF_COMMANDS if command.command not in ("broadcast", "broadcasts")
)
ADMIN_COMMANDS = (
    *STAFF_COMMANDS,
    BotCommand("grant", texts_fa.COMMAND_GRANT),
    BotCommand("revoke", texts_fa.COMMAND_REVOKE),
    BotCommand("staff", texts_fa.COMMAND_STAFF),
)


async def _set(bot: Bot, commands: tuple[BotCommand, ...], scope: BotCommandScope) -> None:
    # Without a language code for everyone, and again for Persian-language clients.
    for language in (None, "fa"):
        try:
            await bot.set_my_commands(commands, scope=scope, language_code=language)
        except TelegramError as exc:
            _LOGGER.warning("set_my_commands (%s, %s) refused: %s", scope.type, language, exc)


def menu_for(access: Access) -> tuple[BotCommand, ...]:
    """The commands that fit what this person may do."""
    if access.is_admin:
        return ADMIN_COMMANDS
    if access.neighborhoods or access.agencies:
        return STAFF_COMMANDS
    if access.supervisor:
        return SUPERVISOR_COMMANDS
    return RESIDENT_COMMANDS


async def refresh_staff_commands(
    bot: Bot, user_id: int, storage: Storage, admins: frozenset[int]
) -> None:
    """Give one person the menu that fits their roles now."""
    access = Access.of(user_id, await storage.roles_of(user_id), admins)
    await _set(bot, menu_for(access), BotCommandScopeChat(user_id))


async def publish_commands(bot: Bot, storage: Storage, admins: frozenset[int]) -> None:
    await _set(bot, RESIDENT_COMMANDS, BotCommandScopeAllPrivateChats())
    staff_ids = {role.user_id for role in await storage.staff()} | set(admins)
    for user_id in sorted(staff_ids):
        await refresh_staff_commands(bot, user_id, storage, admins)
