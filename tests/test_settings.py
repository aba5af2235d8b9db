"""Start-up of `python -m bot`: a bad setting or catalog exits 2 with a clear line, no traceback.

The bot runs as a subprocess in tmp_path (so no .env is picked up), with every setting removed
from the inherited environment. `config.settings.Settings` is also tested directly.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

from bot import texts_fa
from config.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "config" / "catalog.toml"
SETTINGS_VARS = {name.upper() for name in Settings.model_fields}
TOKEN = "123456:TOPSECRET-token"


def run_bot(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k.upper() not in SETTINGS_VARS}
    clean |= {"PYTHONPATH": str(ROOT), "CATALOG_PATH": str(CATALOG), **env}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=tmp_path,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_missing_token(tmp_path):
    result = run_bot(tmp_path)
    assert result.returncode == 2
    assert result.stderr.count("BOT_TOKEN") == 2  # once in Persian, once in English
    assert "خطای تنظیمات: BOT_TOKEN تعیین نشده است" in result.stderr
    assert "Settings error: BOT_TOKEN is missing" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ADMIN_IDS", "1,abc"),
        ("WEBHOOK_URL", "http://x"),
        ("TIMEZONE", "Mars/Base"),
        ("WEBHOOK_PORT", "99999"),
    ],
)
def test_malformed_setting(tmp_path, name, value):
    result = run_bot(tmp_path, BOT_TOKEN=TOKEN, **{name: value})
    assert result.returncode == 2
    assert f"مقدار {name} درست نیست" in result.stderr
    assert f"Settings error: {name} is invalid" in result.stderr
    assert "Traceback" not in result.stderr
    assert TOKEN not in result.stderr


@pytest.mark.parametrize("command", [[], ["check"]])
def test_a_webhook_without_a_secret_refuses_to_start(tmp_path, command):
    result = run_bot(tmp_path, *command, BOT_TOKEN=TOKEN, WEBHOOK_URL="https://bot.example/hook")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        texts_fa.SETTING_INVALID.format(
            name="WEBHOOK_SECRET", reason="required when WEBHOOK_URL is set"
        )
    ]
    assert not (tmp_path / "data").exists()  # nothing was touched


def test_a_webhook_secret_telegram_would_refuse_is_named(tmp_path):
    result = run_bot(tmp_path, "check", BOT_TOKEN=TOKEN, WEBHOOK_URL="https://bot.example/hook",
                     WEBHOOK_SECRET="not allowed!")  # fmt: skip
    assert result.returncode == 2
    assert "Settings error: WEBHOOK_SECRET is invalid (1 to 256 characters" in result.stderr


def test_broken_catalog(tmp_path):
    bad = tmp_path / "catalog.toml"
    bad.write_text('[[neighborhoods]]\nkey = "x"\n', encoding="utf-8")
    result = run_bot(tmp_path, BOT_TOKEN=TOKEN, CATALOG_PATH=str(bad))
    assert result.returncode == 2
    assert "Catalog error:" in result.stderr
    assert "neighborhoods[0].name: Field required" in result.stderr
    assert str(bad) in result.stderr
    assert "Traceback" not in result.stderr


def test_catalog_in_windows_1256_is_a_clear_error(tmp_path):
    bad = tmp_path / "catalog.toml"
    bad.write_bytes('[[neighborhoods]]\nkey = "x"\nname = "محله"\n'.encode("cp1256"))
    result = run_bot(tmp_path, BOT_TOKEN=TOKEN, CATALOG_PATH=str(bad))
    assert (result.returncode, "Traceback" in result.stderr) == (2, False)


def test_check_prepares_the_database(tmp_path):
    db = tmp_path / "not-yet" / "bot.db"
    result = run_bot(tmp_path, "check", BOT_TOKEN=TOKEN, DATABASE_PATH=str(db))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("OK")
    assert db.is_file()


@pytest.fixture
def no_settings_env(monkeypatch):
    for name in os.environ:
        if name.upper() in SETTINGS_VARS:
            monkeypatch.delenv(name)


def test_settings_values(no_settings_env):
    settings = Settings(
        _env_file=None,
        bot_token=TOKEN,
        admin_ids=" 1, 2 ,3",
        bot_api_url="https://tapi.bale.ai/bot/",
    )
    assert settings.admin_ids == frozenset({1, 2, 3})
    assert isinstance(settings.admin_ids, frozenset)
    assert settings.bot_api_url == "https://tapi.bale.ai/bot"
    assert settings.bot_file_url == "https://tapi.bale.ai/file/bot"


def test_default_file_url_is_telegrams(no_settings_env):
    settings = Settings(_env_file=None, bot_token=TOKEN)
    assert settings.bot_api_url == "https://api.telegram.org/bot"
    assert settings.bot_file_url == "https://api.telegram.org/file/bot"
    assert settings.admin_ids == frozenset()


def test_token_is_secret(no_settings_env):
    settings = Settings(_env_file=None, bot_token=TOKEN)
    assert isinstance(settings.bot_token, SecretStr)
    assert settings.bot_token.get_secret_value() == TOKEN
    assert "TOPSECRET" not in repr(settings)
    assert "TOPSECRET" not in str(settings)


def test_empty_token_is_refused(no_settings_env):
    with pytest.raises(ValidationError, match="bot_token"):
        Settings(_env_file=None, bot_token="")
