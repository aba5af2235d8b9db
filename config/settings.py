"""Runtime settings, read from the environment or a `.env` file (see `.env.example`)."""

import re
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

TELEGRAM_API_URL = "https://api.telegram.org/bot"
PROXY_SCHEMES = ("http://", "https://", "socks5://", "socks5h://")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    bot_token: SecretStr = Field(min_length=1)
    bot_api_url: str = TELEGRAM_API_URL
    database_path: Path = Path("data/mahalleh.db")
    admin_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    catalog_path: Path = Path("config/catalog.toml")
    timezone: str = "Asia/Tehran"
    # The Bot API through a proxy, where Telegram is filtered: http://host:port or
    # socks5://user:pass@host:port (Bale needs none).
    proxy_url: SecretStr | None = None
    webhook_url: str | None = None
    webhook_port: int = Field(default=8443, ge=1, le=65535)
    # Required with WEBHOOK_URL: without it anyone who finds the URL can post forged updates.
    webhook_secret: SecretStr | None = Field(default=None, validate_default=True)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    conversation_ttl_hours: float = Field(default=24, gt=0)
    reports_per_day: int = Field(default=5, ge=1)
    # Messages per second the delivery worker sends (Telegram allows about 30).
    send_rate: float = Field(default=29, gt=0, le=30)
    # Updates handled at once (different chats; one chat's updates always wait their turn).
    concurrent_updates: int = Field(default=64, ge=1, le=1024)
    # How long a message the bot owes (a ticket card, a notice) is tried again after network
    # trouble before it is given up; an announcement copy, hours after its sending started.
    owed_message_days: float = Field(default=7, gt=0)
    announcement_hours: float = Field(default=24, gt=0)
    # Off only in tests that drive delivery by hand.
    delivery_worker: bool = True

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        parts = [part.strip() for part in value.split(",") if part.strip()]
        if not all(part.isdigit() for part in parts):
            raise ValueError("comma-separated numeric Telegram user ids, e.g. 12345,67890")
        return frozenset(int(part) for part in parts)

    @field_validator("bot_api_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("proxy_url")
    @classmethod
    def _proxy_scheme(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value():
            return None
        if not value.get_secret_value().startswith(PROXY_SCHEMES):
            raise ValueError("must start with " + ", ".join(PROXY_SCHEMES))
        return value

    @field_validator("webhook_url")
    @classmethod
    def _https_webhook(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if not value.startswith("https://"):
            raise ValueError("must start with https://")
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _secret_for_webhook(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        secret = value.get_secret_value() if value else ""
        if info.data.get("webhook_url") and not secret:
            raise ValueError("required when WEBHOOK_URL is set")
        if secret and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
            raise ValueError("1 to 256 characters: letters A-Z a-z, digits, _ and -")
        return value or None

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError("unknown time zone, e.g. Asia/Tehran") from exc
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @property
    def bot_file_url(self) -> str:
        """The file-download base that pairs with `bot_api_url` (…/bot -> …/file/bot)."""
        head, _, tail = self.bot_api_url.rpartition("/")
        return f"{head}/file/{tail}"
