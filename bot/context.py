"""The Application subclass that owns storage and catalog, and the context handlers receive."""

from typing import Any

from telegram.ext import Application, CallbackContext, ExtBot

from bot.storage import Storage
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

    async def initialize(self) -> None:
        await self.storage.connect()
        await super().initialize()

    async def shutdown(self) -> None:
        await super().shutdown()
        await self.storage.close()


class BotContext(CallbackContext[ExtBot, dict, dict, dict]):
    """CallbackContext with typed access to what every handler needs."""

    @property
    def app(self) -> MahallehApplication:
        return self.application  # type: ignore[return-value]

    @property
    def storage(self) -> Storage:
        return self.app.storage

    @property
    def catalog(self) -> Catalog:
        return self.app.catalog

    @property
    def settings(self) -> Settings:
        return self.app.settings
