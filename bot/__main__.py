"""`python -m bot`: run the bot (polling, or a webhook when WEBHOOK_URL is set).

`python -m bot check` validates settings and catalog and migrates the database, then exits.
A missing or malformed setting ends the process with exit code 2 and one line per problem.
"""

import argparse
import asyncio
import logging
import sys
from urllib.parse import urlparse

from pydantic import ValidationError
from telegram import Update
from telegram.ext import Application

from bot import texts_fa
from bot.app import build_application
from bot.catalog_keys import reconcile
from bot.polling import TokenRejected
from bot.storage import Storage
from config.catalog import Catalog, CatalogError, load_catalog
from config.settings import Settings

EXIT_CONFIG = 2


def _settings_problems(error: ValidationError) -> list[str]:
    lines = []
    for item in error.errors():
        name = str(item["loc"][0]).upper() if item["loc"] else "?"
        if item["type"] == "missing":
            lines.append(texts_fa.SETTING_MISSING.format(name=name))
        else:
            reason = item["msg"].removeprefix("Value error, ")
            lines.append(texts_fa.SETTING_INVALID.format(name=name, reason=reason))
    return lines


def load_config() -> tuple[Settings, Catalog]:
    """Settings and catalog, or exit 2 with one clear line per problem (never a traceback)."""
    try:
        settings = Settings()
        catalog = load_catalog(settings.catalog_path)
    except ValidationError as exc:
        print("\n".join(_settings_problems(exc)), file=sys.stderr)
        raise SystemExit(EXIT_CONFIG) from None
    except CatalogError as exc:
        print(texts_fa.CATALOG_INVALID.format(reason=exc), file=sys.stderr)
        raise SystemExit(EXIT_CONFIG) from None
    return settings, catalog


def run(settings: Settings, catalog: Catalog) -> None:
    """Serve until stopped. Without a route to the Bot API this waits and tries again (one log
    line an attempt, see `ResilientBot`); a rejected token exits 2 with one line."""
    application = build_application(settings, catalog)
    try:
        _serve(application, settings)
    except TokenRejected:
        print(texts_fa.TOKEN_REJECTED, file=sys.stderr)
        raise SystemExit(EXIT_CONFIG) from None
    except CatalogError as exc:  # keys the database still uses (bot.catalog_keys)
        print(texts_fa.CATALOG_INVALID.format(reason=exc), file=sys.stderr)
        raise SystemExit(EXIT_CONFIG) from None


def _serve(application: Application, settings: Settings) -> None:
    if settings.webhook_url:
        secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
        application.run_webhook(
            listen="0.0.0.0",
            port=settings.webhook_port,
            url_path=urlparse(settings.webhook_url).path.lstrip("/"),
            webhook_url=settings.webhook_url,
            secret_token=secret,
            allowed_updates=Update.ALL_TYPES,
            bootstrap_retries=-1,
        )
    else:
        application.run_polling(allowed_updates=Update.ALL_TYPES, bootstrap_retries=-1)


async def check(settings: Settings, catalog: Catalog) -> None:
    storage = Storage(settings.database_path)
    await storage.connect()
    try:
        await reconcile(storage, catalog)
        version = await storage.schema_version()
    except CatalogError as exc:
        print(texts_fa.CATALOG_INVALID.format(reason=exc), file=sys.stderr)
        raise SystemExit(EXIT_CONFIG) from None
    finally:
        await storage.close()
    print(f"OK: settings, catalog, database schema v{version}")


def configure_logging(level: str) -> None:
    """What an operator reads: start, stop, errors, announcements, a minute's summary."""
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # httpx logs every request URL, and the URL holds the token; the job queue's scheduler logs
    # every run of every job, which buries what an operator needs.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__.splitlines()[0])
    parser.add_argument("command", nargs="?", default="run", choices=["run", "check"])
    args = parser.parse_args(argv)
    settings, catalog = load_config()
    configure_logging(settings.log_level)
    if args.command == "check":
        asyncio.run(check(settings, catalog))
    else:
        run(settings, catalog)


if __name__ == "__main__":
    main()
