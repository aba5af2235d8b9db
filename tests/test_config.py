"""Settings from the environment and the office catalog: clear errors, never a traceback."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from config.catalog import CatalogError, load_catalog
from config.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "config" / "catalog.toml"
SETTINGS_VARS = tuple(name.upper() for name in Settings.model_fields)


def run_bot(tmp_path, *args, **env) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in SETTINGS_VARS}
    clean |= {"PYTHONPATH": str(ROOT), "CATALOG_PATH": str(CATALOG), **env}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], cwd=tmp_path, env=clean,
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_missing_token(tmp_path):
    result = run_bot(tmp_path)
    assert result.returncode == 2
    assert "BOT_TOKEN" in result.stderr
    assert "تعیین نشده" in result.stderr
    assert "is missing" in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("name", "value"),
    [("ADMIN_IDS", "1,abc"), ("WEBHOOK_URL", "http://insecure.example"),
     ("TIMEZONE", "Mars/Base"), ("WEBHOOK_PORT", "99999"), ("LOG_LEVEL", "LOUD"),
     ("BOT_API_URL", "tapi.bale.ai/bot")],
)  # fmt: skip
def test_malformed_setting(tmp_path, name, value):
    result = run_bot(tmp_path, **{"BOT_TOKEN": "1:x", name: value})
    assert result.returncode == 2
    assert name in result.stderr
    assert "درست نیست" in result.stderr
    assert "Traceback" not in result.stderr


def test_broken_catalog(tmp_path):
    bad = tmp_path / "catalog.toml"
    bad.write_text("[[neighborhoods]]\nkey = 'x'\n", encoding="utf-8")
    result = run_bot(tmp_path, BOT_TOKEN="1:x", CATALOG_PATH=str(bad))
    assert result.returncode == 2
    assert "neighborhoods[0].name" in result.stderr
    assert "Traceback" not in result.stderr


def test_check_prepares_the_database(tmp_path):
    db = tmp_path / "new-folder" / "bot.db"
    result = run_bot(tmp_path, "check", BOT_TOKEN="1:x", DATABASE_PATH=str(db))
    assert result.returncode == 0, result.stderr
    assert "OK" in result.stdout
    assert db.exists()


def test_settings_values(monkeypatch):
    for name in SETTINGS_VARS:
        monkeypatch.delenv(name, raising=False)
    settings = Settings(
        _env_file=None,
        bot_token="1:secret",
        admin_ids=" 1, 2 ,3",
        bot_api_url="https://tapi.bale.ai/bot/",
    )
    assert settings.admin_ids == {1, 2, 3}
    assert settings.bot_api_url == "https://tapi.bale.ai/bot"
    assert settings.bot_file_url == "https://tapi.bale.ai/file/bot"
    assert "TOPSECRET" not in repr(settings)
    with pytest.raises(ValidationError):
        Settings(_env_file=None, bot_token="")


def test_shipped_catalog():
    catalog = load_catalog(CATALOG)
    assert [n.key for n in catalog.neighborhoods] == [
        "shahr_qaem", "esmaeilabad", "aminabad", "darvazeh_rey"
    ]  # fmt: skip
    assert {"municipality", "roads", "police", "behzisti", "relief", "governorate", "water",
            "electricity", "civil_registration"} <= {a.key for a in catalog.agencies}  # fmt: skip
    assert all(catalog.agency(c.agency) for c in catalog.categories)
    assert any(c.review_first for c in catalog.categories)


BASE = """
[[neighborhoods]]
key = "n1"
name = "محله"
office = "دفتر"

[[agencies]]
key = "a1"
name = "دستگاه"
"""


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ('[[categories]]\nkey = "c1"\nname = "د"\nagency = "nowhere"\n',
         "categories[0].agency: 'nowhere' is not an agency key"),
        ('[[categories]]\nkey = "c1"\nname = "د"\nagency = "a1"\n'
         '[[categories]]\nkey = "c1"\nname = "ه"\nagency = "a1"\n', "'c1' is used twice"),
        ('[[categories]]\nkey = "Bad Key"\nname = "د"\nagency = "a1"\n', "categories[0].key"),
        ('[[categories]]\nkey = "c1"\nname = "د"\nagency = "a1"\ncolour = "red"\n',
         "categories[0].colour"),
        ('[[categories]]\nkey = "c1"\nname = "د"\nagency = "a1"\n'
         '[[agencies]]\nkey = "a2"\nname = "x"\nsla_ack_hours = -1\n', "agencies[1].sla_ack_hours"),
        ("", "categories"),
    ],
)  # fmt: skip
def test_invalid_catalogs_name_the_place(tmp_path, extra, message):
    path = tmp_path / "catalog.toml"
    path.write_text(BASE + extra, encoding="utf-8")
    with pytest.raises(CatalogError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_catalog(path)


def test_missing_and_unreadable_catalogs(tmp_path):
    with pytest.raises(CatalogError, match="file not found"):
        load_catalog(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[[neighborhoods]\n", encoding="utf-8")
    with pytest.raises(CatalogError, match="not valid TOML"):
        load_catalog(bad)
