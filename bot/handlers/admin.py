"""Super-admin commands (users in ADMIN_IDS): grant and revoke staff roles, list staff.

They work in a private chat only: in a group they change nothing and list nobody (an admin gets
a one-line pointer). `/chatid` answers staff in any chat, so that an agency's group id can be
copied into the catalog.
"""

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler, filters

from bot import texts_fa
from bot.access import Role
from bot.commands import refresh_staff_commands
from bot.context import BotContext
from bot.persian import to_ascii_digits

AGENCY, FACILITATOR = Role.AGENCY, Role.FACILITATOR

PRIVATE = filters.ChatType.PRIVATE
ADMIN_COMMANDS = ("grant", "revoke", "staff")


async def _is_admin(update: Update, context: BotContext) -> bool:
    """True for a super-admin; anyone else is told so (these run in private chats only)."""
    if update.effective_user.id in context.settings.admin_ids:
        return True
    await update.effective_message.reply_text(texts_fa.ADMIN_ONLY)
    return False


async def private_only(update: Update, context: BotContext) -> None:
    """An admin command typed in a group: a pointer for an admin, silence for anyone else."""
    user = update.effective_user
    if user is not None and user.id in context.settings.admin_ids:
        await update.effective_message.reply_text(texts_fa.ADMIN_PRIVATE_ONLY)


async def _is_staff(update: Update, context: BotContext) -> bool:
    user = update.effective_user
    return user is not None and (
        user.id in context.settings.admin_ids or bool(await context.storage.roles_of(user.id))
    )


def _scope_name(context: BotContext, role: str, scope: str) -> str | None:
    entry = (
        context.catalog.neighborhood(scope)
        if role == FACILITATOR
        else context.catalog.agency(scope)
    )
    return entry.name if entry else None


def _parse_role_args(context: BotContext) -> tuple[str, int, str] | None:
    """`<role> <user id> <scope key>` from the command's arguments, or None."""
    args = [to_ascii_digits(arg).strip() for arg in context.args or []]
    if len(args) != 3 or args[0] not in (FACILITATOR, AGENCY) or not args[1].isdigit():
        return None
    role, user_id, scope = args[0], int(args[1]), args[2]
    return (role, user_id, scope) if _scope_name(context, role, scope) else None


async def grant(update: Update, context: BotContext) -> None:
    if not await _is_admin(update, context):
        return
    parsed = _parse_role_args(context)
    if parsed is None:
        await update.effective_message.reply_text(
            texts_fa.GRANT_USAGE.format(
                neighborhoods=texts_fa.LIST_SEPARATOR.join(
                    f"<code>{n.key}</code>" for n in context.catalog.neighborhoods
                ),
                agencies=texts_fa.LIST_SEPARATOR.join(
                    f"<code>{a.key}</code>" for a in context.catalog.agencies
                ),
            )
        )
        return
    role, user_id, scope = parsed
    await context.storage.grant_role(user_id, role, scope, update.effective_user.id)
    await refresh_staff_commands(context.bot, user_id, context.storage, context.settings.admin_ids)
    await update.effective_message.reply_text(
        texts_fa.GRANTED.format(
            role=texts_fa.ROLE_NAMES[role], scope=_scope_name(context, role, scope), user_id=user_id
        )
    )


async def revoke(update: Update, context: BotContext) -> None:
    if not await _is_admin(update, context):
        return
    parsed = _parse_role_args(context)
    if parsed is None:
        await update.effective_message.reply_text(texts_fa.REVOKE_USAGE)
        return
    role, user_id, scope = parsed
    removed = await context.storage.revoke_role(user_id, role, scope, update.effective_user.id)
    if removed:
        await refresh_staff_commands(
            context.bot, user_id, context.storage, context.settings.admin_ids
        )
    template = texts_fa.REVOKED if removed else texts_fa.NOT_REVOKED
    await update.effective_message.reply_text(
        template.format(
            role=texts_fa.ROLE_NAMES[role], scope=_scope_name(context, role, scope), user_id=user_id
        )
    )


async def staff(update: Update, context: BotContext) -> None:
    if not await _is_admin(update, context):
        return
    roles = await context.storage.staff()
    if not roles:
        await update.effective_message.reply_text(texts_fa.STAFF_EMPTY)
        return
    lines = [texts_fa.STAFF_HEADER] + [
        texts_fa.STAFF_LINE.format(
            user_id=r.user_id,
            role=texts_fa.ROLE_NAMES[r.role],
            scope=_scope_name(context, r.role, r.scope) or r.scope,
        )
        for r in roles
    ]
    await update.effective_message.reply_text("\n".join(lines))


async def chat_id(update: Update, context: BotContext) -> None:
    if await _is_staff(update, context):
        await update.effective_message.reply_text(
            texts_fa.CHAT_ID.format(chat_id=update.effective_chat.id)
        )


def handlers() -> list[BaseHandler]:
    return [
        CommandHandler("grant", grant, filters=PRIVATE),
        CommandHandler("revoke", revoke, filters=PRIVATE),
        CommandHandler("staff", staff, filters=PRIVATE),
        CommandHandler(ADMIN_COMMANDS, private_only, filters=~PRIVATE),
        CommandHandler("chatid", chat_id),
    ]
