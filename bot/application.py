"""The Application subclass that owns storage and catalog, and the context handlers receive."""

import asyncio
import contextlib
from datetime import timedelta
from typing import Any, NoReturn
from zoneinfo import ZoneInfo

from telegram import Update
from telegram.ext import Application, CallbackContext, ExtBot

from bot.agency_chats import AgencyChats
from bot.catalog_keys import reconcile
from bot.delivery import DeliveryWorker
from bot.notices import Notices
from bot.storage import Actor, Storage
from config.catalog import Catalog
from config.settings import Settings


class MahallehApplication(Application):
    """An Application that opens the database before python-telegram-bot loads persistence
    from it, and closes it after the last write at shutdown."""

    def __init__(self, *, settings: Settings, catalog: Catalog, storage: Storage, **kwargs: Any):
        super().__init__(**kwargs)
        self.settings = settings
        self.catalog = catalog
        self.storage = storage
        self.tz = ZoneInfo(settings.timezone)
        self.agency_chats = AgencyChats(catalog)
        self.notices = Notices(catalog, self.tz, settings.admin_ids, self.agency_chats)
        self._starting: asyncio.Task[Any] | None = None
        self.delivery = DeliveryWorker(
            self.bot, storage, owed_for=timedelta(days=settings.owed_message_days)
        )

    async def initialize(self) -> None:
        # A stop signal during start-up leaves this running while python-telegram-bot shuts
        # down; `shutdown` ends it first, so nothing writes to a database being closed.
        self._starting = asyncio.current_task()
        try:
            await self.storage.connect()
            try:
                await reconcile(self.storage, self.catalog)  # before persistence loads drafts
                self.agency_chats.load(await self.storage.agency_links())
            except BaseException:
                await self.storage.close()
                raise
            await super().initialize()
        finally:
            self._starting = None

    async def start(self) -> None:
        await super().start()
        if self.settings.delivery_worker:
            await self.delivery.start()

    async def stop(self) -> None:
        await self.delivery.stop()
        await super().stop()

    async def shutdown(self) -> None:
        starting, self._starting = self._starting, None
        if starting is not None and starting is not asyncio.current_task() and not starting.done():
            starting.cancel()  # a transaction under way rolls back; migrations resume next time
            with contextlib.suppress(asyncio.CancelledError):
                await starting
        await super().shutdown()
        await self.storage.close()


class BotContext(CallbackContext[ExtBot, dict, dict, dict]):
    """CallbackContext with typed access to what every handler needs."""

    @property
    def app(self) -> MahallehApplication:
        return self.application  # type: ignore[return-value]

    @property
    def user_data(self) -> dict[Any, Any]:
        """The person's data: every update a handler here serves comes from a person."""
        data = super().user_data
        assert data is not None, "an update without a person"
        return data

    @user_data.setter
    def user_data(self, _: object) -> NoReturn:
        raise AttributeError("user_data is python-telegram-bot's: change its items instead")

    @property
    def storage(self) -> Storage:
        return self.app.storage

    @property
    def catalog(self) -> Catalog:
        return self.app.catalog

    @property
    def settings(self) -> Settings:
        return self.app.settings


def actor(update: Update, role: str) -> Actor:
    """Who acted, as a ticket's history records them."""
    user = update.effective_user
    assert user is not None, "an update without a person"
    return Actor(user.id, user.full_name, role)
