"""Super-admin commands (users in ADMIN_IDS): grant and revoke staff roles (facilitator of a
neighborhood, agency staff, supervisor of the province), list staff.

They work in a private chat only: in a group they change nothing and list nobody (an admin gets
a one-line pointer). `/chatid` answers staff in any chat, so that an agency's group id can be
copied into the catalog.
"""

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler, filters

from bot import texts_fa
from bot.access import PROVINCE, Role, access_of
from bot.application import BotContext
from bot.commands import refresh_staff_commands
from bot.handlers import client_number
from bot.persian import to_ascii_digits

PRIVATE = filters.ChatType.PRIVATE
ADMIN_COMMANDS = ("grant", "revoke", "staff")


async def _is_admin(update: Update, context: BotContext) -> bool:
    """True for a super-admin; anyone else is told so (these run in private chats only)."""
    if (await access_of(context.app, update.effective_user.id)).may_manage_staff:
        return True
    await update.effective_message.reply_text(texts_fa.ADMIN_ONLY)
    return False


async def private_only(update: Update, context: BotContext) -> None:
    """An admin command typed in a group: a pointer for an admin, silence for anyone else."""
    user = update.effective_user
    if user is not None and (await access_of(context.app, user.id)).may_manage_staff:
        await update.effective_message.reply_text(texts_fa.ADMIN_PRIVATE_ONLY)


def _scope_name(context: BotContext, role: Role, scope: str) -> str | None:
    """What the role's scope is called; None if it names nothing the role can cover."""
    if role is Role.SUPERVISOR:
        return texts_fa.SCOPE_PROVINCE if scope == PROVINCE else None
    entry = (
        context.catalog.neighborhood(scope)
        if role is Role.FACILITATOR
        else context.catalog.agency(scope)
    )
    return entry.name if entry else None


def _parse_role_args(context: BotContext) -> tuple[Role, int, str] | None:
    """`<role> <user id> <scope key>` (a supervisor: `supervisor <user id>`, the province)
    from the command's arguments, or None."""
    args = [to_ascii_digits(arg).strip() for arg in context.args or []]
    try:
        role = Role(args[0]) if args else None
    except ValueError:
        return None
    province_wide = role is Role.SUPERVISOR
    if role is None or len(args) != (2 if province_wide else 3):
        return None
    user_id = client_number(args[1])  # ASCII digits that fit the database, not «²»
    scope = PROVINCE if province_wide else args[2]
    if user_id is None:
        return None
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
    user = update.effective_user
    if user is not None and (await access_of(context.app, user.id)).is_staff:
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
