"""build_application(settings, catalog) -> the configured python-telegram-bot Application."""

import functools
import logging
import warnings
from datetime import timedelta
from typing import cast
from zoneinfo import ZoneInfo

from telegram import LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.ext import Application, ApplicationBuilder, ContextTypes, Defaults, TypeHandler
from telegram.request import BaseRequest, HTTPXRequest
from telegram.warnings import PTBUserWarning

from bot import agency_groups, broadcasts, delivery, sla
from bot.application import BotContext, MahallehApplication
from bot.commands import publish_commands
from bot.flood_control import FloodControl
from bot.handlers import (
    IdleFlows,
    admin,
    agency,
    broadcast,
    common,
    my_reports,
    onboarding,
    preferences,
    reports,
    triage,
)
from bot.jalali import utc_now
from bot.persistence import SQLitePersistence
from bot.resilient_bot import ResilientBot
from bot.storage import Clock, Storage
from bot.update_order import FloodGuard, PerChatUpdateProcessor
from config.catalog import Catalog
from config.settings import Settings

_LOGGER = logging.getLogger(__name__)

# A CallbackQueryHandler inside a per-chat conversation is what we want (one flow per resident).
warnings.filterwarnings("ignore", message=".*per_message.*", category=PTBUserWarning)


def build_application(
    settings: Settings,
    catalog: Catalog,
    *,
    request: BaseRequest | None = None,
    clock: Clock = utc_now,
    flood_control: FloodControl | None = None,
    flood_guard: FloodGuard | None = None,
) -> MahallehApplication:
    """The whole bot. Tests replace the HTTP layer (`request`), the clock, the send budget and
    the allowance of updates per person."""
    storage = Storage(settings.database_path, clock)
    proxy = settings.proxy_url.get_secret_value() if settings.proxy_url else None
    bot = ResilientBot(
        token=settings.bot_token.get_secret_value(),
        base_url=settings.bot_api_url,
        base_file_url=settings.bot_file_url,
        # Calls wait for their turn in FloodControl, not for a connection.
        request=request or HTTPXRequest(connection_pool_size=64, pool_timeout=30, proxy=proxy),
        get_updates_request=request or HTTPXRequest(proxy=proxy),
        defaults=Defaults(
            parse_mode=ParseMode.HTML,
            link_preview_options=LinkPreviewOptions(is_disabled=True),
            tzinfo=ZoneInfo(settings.timezone),
        ),
        rate_limiter=flood_control or FloodControl(settings.send_rate),
    )
    ttl = timedelta(hours=settings.conversation_ttl_hours)
    built = (
        ApplicationBuilder()
        .application_class(
            MahallehApplication,
            kwargs={"settings": settings, "catalog": catalog, "storage": storage},
        )
        .bot(bot)
        .concurrent_updates(PerChatUpdateProcessor(settings.concurrent_updates, flood_guard))
        .persistence(SQLitePersistence(storage, idle_ttl=ttl))
        .context_types(ContextTypes(context=BotContext))
        .post_init(_post_init)
        .build()
    )
    application = cast("MahallehApplication", built)  # the builder's types lose the subclass
    # What the delivery worker gives up or sees move: an agency's chat has tickets behind it.
    application.delivery.on_give_up = functools.partial(agency_groups.give_up, application)
    application.delivery.on_migrated = functools.partial(agency_groups.follow, application)
    idle = IdleFlows(ttl, application.user_data, storage.now)
    for handler in (
        *onboarding.handlers(idle),
        *reports.handlers(idle),
        *my_reports.handlers(idle),
        *triage.handlers(idle),
        *broadcast.handlers(idle),
        *agency.handlers(),
        *preferences.handlers(),
        *admin.handlers(),
        *common.handlers(),
    ):
        application.add_handler(handler)
    # After every other handler (group 0) has seen the update: idleness is measured to it.
    application.add_handler(TypeHandler(Update, idle.record), group=1)
    application.add_error_handler(common.on_error)
    jobs = application.job_queue
    assert jobs is not None, "python-telegram-bot[job-queue] is a dependency"
    jobs.run_repeating(sla.job, interval=sla.CHECK_EVERY, first=30, name="sla")
    jobs.run_repeating(
        broadcasts.job, interval=broadcasts.PROGRESS_EVERY, first=3, name="broadcasts"
    )
    jobs.run_repeating(broadcasts.prune_job, interval=timedelta(days=1), first=600, name="prune")
    jobs.run_repeating(delivery.prune_job, interval=timedelta(days=1), first=660, name="files")
    jobs.run_repeating(delivery.log_minute, interval=60, first=60, name="minute")
    return application


async def _post_init(built: Application) -> None:
    application = cast("MahallehApplication", built)
    await publish_commands(application.bot, application.storage, application.settings.admin_ids)
