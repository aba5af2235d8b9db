"""`python -m bot`: run the bot (polling, or a webhook when WEBHOOK_URL is set).

`python -m bot check` validates settings and catalog and migrates the database, then exits;
beside a running bot it only reads the database. A missing or malformed setting, or another
bot already running on the database, ends the process with exit code 2 and one line.
"""

import argparse
import asyncio
import sys
from pathlib import Path

from pydantic import ValidationError
from telegram import Update

from bot import instance_lock, texts_fa, webhook
from bot.app import build_application
from bot.catalog_keys import reconcile
from bot.logs import configure_logging, secrets_of
from bot.resilient_bot import TokenRejected
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
    line an attempt, see `keep_trying`); a rejected token, or another bot on the database,
    exits 2 with one line."""
    try:  # before anything opens the database; held until the process ends
        instance_lock.hold(settings.database_path)
    except instance_lock.DatabaseInUse as busy:
        print(texts_fa.DATABASE_IN_USE.format(pid=busy.holder or "?", path=settings.database_path),
              file=sys.stderr)  # fmt: skip
        raise SystemExit(EXIT_CONFIG) from None
    application = build_application(settings, catalog)
    try:
        if settings.webhook_url:
            asyncio.run(webhook.serve(application, settings))
        else:
            application.run_polling(allowed_updates=Update.ALL_TYPES, bootstrap_retries=-1)
    except TokenRejected:
        print(texts_fa.TOKEN_REJECTED, file=sys.stderr)
        raise SystemExit(EXIT_CONFIG) from None
    except CatalogError as exc:  # keys the database still uses (bot.catalog_keys)
        print(texts_fa.CATALOG_INVALID.format(reason=exc), file=sys.stderr)
        raise SystemExit(EXIT_CONFIG) from None
    except webhook.WebhookRefused as exc:
        reason = f"the Bot API refused it: {exc}"
        print(texts_fa.SETTING_INVALID.format(name="WEBHOOK_URL", reason=reason), file=sys.stderr)
        raise SystemExit(EXIT_CONFIG) from None


def check(settings: Settings, catalog: Catalog) -> None:
    """Prepare the database and reconcile the catalog's keys with it; beside a running bot (its
    lock held), only read it."""
    path = Path(settings.database_path)
    try:  # no bot may start while this migrates
        instance_lock.hold(path)
    except instance_lock.DatabaseInUse as busy:
        running = busy.holder or "?"
        if not path.exists():
            print(f"OK: settings, catalog; a bot (pid {running}) is starting on {path}")
            return
    else:
        running = ""
    try:
        print(asyncio.run(_check_database(Storage(path), catalog, running)))
    except CatalogError as exc:
        print(texts_fa.CATALOG_INVALID.format(reason=exc), file=sys.stderr)
        raise SystemExit(EXIT_CONFIG) from None


async def _check_database(storage: Storage, catalog: Catalog, running: str) -> str:
    await storage.connect(read_only=bool(running))
    try:
        await reconcile(storage, catalog, apply_renames=not running)
        line = f"OK: settings, catalog, database schema v{await storage.schema_version()}"
        if running:
            pending = await storage.pending_migrations()
            line += f" (read only: a bot, pid {running}, is running on it"
            line += f"; {pending} migration(s) apply at its next start)" if pending else ")"
    finally:
        await storage.close()
    return line


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__.splitlines()[0])
    parser.add_argument("command", nargs="?", default="run", choices=["run", "check"])
    args = parser.parse_args(argv)
    settings, catalog = load_config()
    configure_logging(settings.log_level, secrets_of(settings))
    if args.command == "check":
        check(settings, catalog)
    else:
        run(settings, catalog)


if __name__ == "__main__":
    main()
