"""Ticket rules without Telegram: tracking codes, distances, routing, 'the same problem?'."""

import math
from datetime import UTC, datetime

from bot import tickets
from bot.agency_chats import AgencyChats
from bot.repositories.agency_links import AgencyLink
from bot.storage import Ticket
from bot.tickets import distance_m, format_code, parse_code
from config.catalog import load_catalog
from tests.harness import CATALOG_PATH


def test_tracking_codes():
    assert format_code("482317") == "۴۸۲-۳۱۷"
    for typed in ("482317", "۴۸۲-۳۱۷", "482 317", "٤٨٢٣١٧"):
        assert parse_code(typed) == "482317"
    assert parse_code("4823") is None


def test_distance():
    assert distance_m(34.64, 50.87, 34.64, 50.87) == 0
    assert 1100 < distance_m(34.64, 50.87, 34.65, 50.87) < 1120  # 0.01° of latitude


def test_routing_from_the_catalog():
    catalog = load_catalog(CATALOG_PATH)
    chats = AgencyChats(catalog)
    assert tickets.route(catalog, chats, "waste") == tickets.Route("queued", "municipality")
    assert tickets.route(catalog, chats, "social_harm").status == "review"  # review_first
    with_chat = catalog.model_copy(
        update={"agencies": [a.model_copy(update={"chat_id": -1}) for a in catalog.agencies]}
    )
    assert tickets.route(with_chat, AgencyChats(with_chat), "waste") == tickets.Route(
        "new", "municipality"
    )


def test_a_linked_chat_wins_over_the_catalog():
    catalog = load_catalog(CATALOG_PATH)
    chats = AgencyChats(catalog)
    linked = AgencyLink("municipality", -100777, datetime(2025, 12, 21, tzinfo=UTC), None, "")
    chats.load({"municipality": linked})
    assert chats.chat_of("municipality") == -100777
    assert [a.key for a in chats.agencies_in(-100777)] == ["municipality"]
    assert tickets.route(catalog, chats, "waste") == tickets.Route("new", "municipality")
    assert chats.chat_of("water") is None


def ticket_at(latitude: float | None, longitude: float | None) -> Ticket:
    moment = datetime(2025, 12, 21, tzinfo=UTC)
    return Ticket(
        id=1, code="482317", resident_id=1, category="waste", neighborhood="shahr_qaem",
        agency="municipality", status="new", description="", voice_file_id=None,
        latitude=latitude, longitude=longitude, address="", share_contact=False,
        hidden_text=False, hidden_media=False, supporters=0, rating=None, card_chat_id=None,
        card_message_id=None, last_actor="", created_at=moment, updated_at=moment,
        routed_at=moment, acknowledged_at=None, resolved_at=None,
    )  # fmt: skip


def test_same_problem_needs_nearness_only_when_both_have_a_place():
    assert tickets.same_problem(ticket_at(None, None), 34.64, 50.87)
    assert tickets.same_problem(ticket_at(34.64, 50.87), None, None)
    assert tickets.same_problem(ticket_at(34.64, 50.87), 34.641, 50.87)  # ~110 m
    assert not tickets.same_problem(ticket_at(34.64, 50.87), 34.642, 50.87)  # ~220 m


def test_the_box_around_a_point_holds_the_whole_radius():
    lat, lon = 34.64, 50.87
    min_lat, max_lat, min_lon, max_lon = tickets.box_around(lat, lon)
    for bearing in range(0, 360, 15):
        # A point just inside the radius in each direction.
        d = (tickets.DUPLICATE_RADIUS_M - 1) / 6_371_000
        plat = lat + math.degrees(d * math.cos(math.radians(bearing)))
        plon = lon + math.degrees(d * math.sin(math.radians(bearing))) / math.cos(math.radians(lat))
        assert tickets.distance_m(lat, lon, plat, plon) <= tickets.DUPLICATE_RADIUS_M
        assert min_lat <= plat <= max_lat
        assert min_lon <= plon <= max_lon
