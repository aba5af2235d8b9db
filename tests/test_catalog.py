"""config/catalog.py: the shipped catalog loads; a broken one raises CatalogError naming where."""

from pathlib import Path

import pytest

from bot import texts_fa
from config.catalog import Catalog, CatalogError, Renamed, load_catalog
from tests.flows import file_report, register
from tests.harness import Person

SHIPPED = Path(__file__).resolve().parent.parent / "config" / "catalog.toml"

NEIGHBORHOOD = '[[neighborhoods]]\nkey = "n1"\nname = "محله"\noffice = "دفتر"\n'
AGENCY = '[[agencies]]\nkey = "a1"\nname = "دستگاه"\n'
CATEGORY = '[[categories]]\nkey = "c1"\nname = "دسته"\nagency = "a1"\n'


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "catalog.toml"
    path.write_text(text, encoding="utf-8")
    return path


def error_for(path: Path) -> str:
    with pytest.raises(CatalogError) as info:
        load_catalog(path)
    return str(info.value)


def test_shipped_catalog_loads():
    catalog = load_catalog(SHIPPED)
    assert [n.key for n in catalog.neighborhoods] == [
        "shahr_qaem",
        "esmaeilabad",
        "aminabad",
        "darvazeh_rey",
    ]
    assert {a.key for a in catalog.agencies} >= {
        "municipality",
        "roads",
        "police",
        "behzisti",
        "relief",
        "governorate",
        "water",
        "electricity",
        "civil_registration",
    }
    assert catalog.categories
    for category in catalog.categories:
        assert catalog.agency(category.agency) is not None, category.key


def test_minimal_catalog_loads_with_defaults(tmp_path):
    catalog = load_catalog(write(tmp_path, NEIGHBORHOOD + AGENCY + CATEGORY))
    agency = catalog.agency("a1")
    assert (agency.chat_id, agency.sla_ack_hours, agency.sla_resolve_hours) == (None, 24, 168)
    assert catalog.category("c1").agency == "a1"
    assert catalog.neighborhood("nope") is None


def test_missing_file(tmp_path):
    path = tmp_path / "nope.toml"
    message = error_for(path)
    assert str(path) in message
    assert "file not found" in message


def test_invalid_toml(tmp_path):
    path = write(tmp_path, "[[neighborhoods]\nkey = 'x'\n")
    message = error_for(path)
    assert str(path) in message
    assert "not valid TOML" in message


def test_category_with_unknown_agency(tmp_path):
    text = NEIGHBORHOOD + AGENCY + CATEGORY.replace('agency = "a1"', 'agency = "nowhere"')
    message = error_for(write(tmp_path, text))
    assert "categories[0].agency" in message
    assert "'nowhere'" in message
    assert "known: a1" in message


def test_a_name_with_markup_characters_is_refused(tmp_path):
    text = NEIGHBORHOOD + AGENCY.replace("دستگاه", "آب & فاضلاب") + CATEGORY
    message = error_for(write(tmp_path, text))
    assert "agencies[0].name: must not contain <, > or &" in message


def test_duplicate_key(tmp_path):
    text = NEIGHBORHOOD + AGENCY + CATEGORY + CATEGORY.replace("دسته", "دیگری")
    assert "categories[1].key: 'c1' is used twice" in error_for(write(tmp_path, text))


@pytest.mark.parametrize("key", ["Water", "محله", "1abc", "has space", "a" * 25, ""])
def test_bad_key(tmp_path, key):
    text = NEIGHBORHOOD.replace('"n1"', f'"{key}"') + AGENCY + CATEGORY
    assert "neighborhoods[0].key" in error_for(write(tmp_path, text))


def test_unknown_field_is_refused(tmp_path):
    text = NEIGHBORHOOD + AGENCY + CATEGORY + 'colour = "red"\n'
    message = error_for(write(tmp_path, text))
    assert "categories[0].colour" in message
    assert "Extra inputs are not permitted" in message


def test_empty_neighborhoods(tmp_path):
    text = "neighborhoods = []\n" + AGENCY + CATEGORY
    message = error_for(write(tmp_path, text))
    assert "neighborhoods: List should have at least 1 item" in message


@pytest.mark.parametrize("field", ["sla_ack_hours", "sla_resolve_hours"])
def test_negative_sla_hours(tmp_path, field):
    text = NEIGHBORHOOD + AGENCY + f"{field} = -1\n" + CATEGORY
    message = error_for(write(tmp_path, text))
    assert f"agencies[0].{field}: Input should be greater than 0" in message


def test_all_problems_are_listed(tmp_path):
    text = NEIGHBORHOOD.replace('"n1"', '"N1"') + AGENCY + "sla_ack_hours = 0\n" + CATEGORY
    message = error_for(write(tmp_path, text))
    assert "neighborhoods[0].key" in message
    assert "agencies[0].sla_ack_hours" in message


@pytest.mark.parametrize("kind", ["windows-1256", "directory"])
def test_unreadable_catalog_is_a_catalog_error(tmp_path, kind):
    if kind == "directory":
        path = tmp_path
    else:
        path = tmp_path / "catalog.toml"
        path.write_bytes((NEIGHBORHOOD + AGENCY + CATEGORY).encode("cp1256"))
    assert str(path) in error_for(path)


def test_a_byte_order_mark_is_accepted(tmp_path):
    path = tmp_path / "catalog.toml"
    path.write_bytes((NEIGHBORHOOD + AGENCY + CATEGORY).encode("utf-8-sig"))
    assert load_catalog(path).neighborhoods[0].key == "n1"


# ---------------------------------------------------------------- keys the database still uses


def without_waste(catalog: Catalog) -> Catalog:
    categories = [c for c in catalog.categories if c.key != "waste"]
    return catalog.model_copy(update={"categories": categories})


def waste_renamed(catalog: Catalog) -> Catalog:
    categories = [
        c.model_copy(update={"key": "garbage"}) if c.key == "waste" else c
        for c in catalog.categories
    ]
    renamed = Renamed(categories={"waste": "garbage"})
    return catalog.model_copy(update={"categories": categories, "renamed": renamed})


async def test_removing_a_category_open_tickets_use_stops_the_start(bot, resident):
    await register(bot, resident)
    await file_report(bot, resident)
    await bot.stop()
    bot.edit_catalog = without_waste
    with pytest.raises(CatalogError, match="categories 'waste' is used by 1 open tickets"):
        await bot.start()


async def test_a_renamed_key_moves_tickets_and_open_drafts(bot, resident):
    writer = Person(4321, "سمیه")
    await register(bot, resident)
    await register(bot, writer)
    await file_report(bot, resident)
    calls = await bot.send(writer, texts_fa.MENU_REPORT)
    await bot.press(writer, "rp:c:waste", on=calls[-1])  # a draft of the old key, half filled
    await bot.app.update_persistence()
    await bot.stop()
    bot.edit_catalog = waste_renamed
    await bot.start()
    ticket = (await bot.app.storage.tickets_of_resident(resident.id, 1, 0))[0]
    assert ticket.category == "garbage"
    await bot.send(writer, "زباله‌های کوچهٔ ما یک هفته است مانده")
    await bot.send(writer, texts_fa.BUTTON_CONTINUE)
    review = (await bot.send(writer, texts_fa.BUTTON_SKIP))[-1]
    await bot.press(writer, "rp:ok", on=review)
    offer = bot.api.last_to(writer.id)
    assert "گزارش مشابهی" in offer.text  # the renamed ticket is found as the same problem
    await bot.press(writer, "rp:ok", on=offer)
    filed = (await bot.app.storage.tickets_of_resident(writer.id, 1, 0))[0]
    assert filed.category == "garbage"


def test_a_rename_must_point_to_a_key_that_exists(tmp_path):
    text = NEIGHBORHOOD + AGENCY + CATEGORY + '[renamed.categories]\nold = "c9"\n'
    assert "renamed.categories.old: 'c9' is not a key of categories" in error_for(
        write(tmp_path, text)
    )
