"""Ticket rules with no Telegram in them: statuses and who may move them where, routing,
tracking codes, the 'is this the same problem?' test."""

import math
from dataclasses import dataclass

from bot.agency_chats import AgencyChats
from bot.persian import to_ascii_digits, to_persian_digits
from bot.storage import OPEN_STATUSES, Ticket
from config.catalog import CannedResponse, Catalog

REVIEW = "review"  # waits for a facilitator's approval before the agency sees it
QUEUED = "queued"  # in the facilitators' queue: no agency took it
NEW = "new"  # at the agency, not yet acknowledged
ACKNOWLEDGED = "acknowledged"
IN_PROGRESS = "in_progress"
RESOLVED = "resolved"
REOPENED = "reopened"  # the resident said it was not solved
CLOSED = "closed"  # closed by a facilitator (duplicate, out of scope …)
REJECTED = "rejected"  # refused at review

AT_AGENCY = (NEW, ACKNOWLEDGED, IN_PROGRESS, REOPENED)
WITH_FACILITATORS = (REVIEW, QUEUED)
assert set(OPEN_STATUSES) == set(AT_AGENCY) | set(WITH_FACILITATORS)

# Agency card actions: callback action -> (statuses it applies to, status it leads to).
AGENCY_ACTIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "ack": ((NEW, REOPENED), ACKNOWLEDGED),
    "prog": ((NEW, ACKNOWLEDGED, REOPENED), IN_PROGRESS),
    "done": (AT_AGENCY, RESOLVED),
    "no": ((NEW, ACKNOWLEDGED), QUEUED),  # "not ours", with a reason
}

# Open tickets another resident may back (BUTTON_ME_TOO): at an agency or waiting for one, never
# one a facilitator has still to approve (its text is unreviewed) or has hidden parts of.
JOINABLE = (*AT_AGENCY, QUEUED)


def joinable(ticket: Ticket) -> bool:
    return ticket.status in JOINABLE and not ticket.hidden_text and not ticket.hidden_media


# A canned answer (catalog) announces a status; it is offered one step before it and at it, so
# a «resolved» answer cannot close a ticket nobody has even acknowledged.
CANNED_OFFERED_AT: dict[str, tuple[str, ...]] = {
    ACKNOWLEDGED: (NEW, REOPENED, ACKNOWLEDGED),
    IN_PROGRESS: (ACKNOWLEDGED, IN_PROGRESS),
    RESOLVED: (IN_PROGRESS,),
}


def canned_offered(catalog: Catalog, status: str) -> list[tuple[int, CannedResponse]]:
    """The canned answers a clerk may send at `status`, with their catalog index."""
    return [
        (i, canned)
        for i, canned in enumerate(catalog.canned_responses)
        if status in CANNED_OFFERED_AT[canned.status]
    ]


DUPLICATE_WINDOW_DAYS = 14
DUPLICATE_RADIUS_M = 150


@dataclass(frozen=True)
class Route:
    status: str
    agency: str


def route(catalog: Catalog, chats: AgencyChats, category_key: str) -> Route:
    """Where a new ticket of this category goes first."""
    category = catalog.category(category_key)
    assert category is not None
    return Route(
        destination(chats, category.agency) if not category.review_first else REVIEW,
        category.agency,
    )


def destination(chats: AgencyChats, agency_key: str) -> str:
    """NEW when the agency has a chat to receive the card, else QUEUED for the facilitators."""
    return NEW if chats.chat_of(agency_key) is not None else QUEUED


def format_code(code: str) -> str:
    """'482317' -> '482-317' in Persian digits: easy to read out on the phone."""
    return to_persian_digits(f"{code[:3]}-{code[3:]}")


def parse_code(text: str) -> str | None:
    """A tracking code as typed (any digits, with or without the dash), or None."""
    digits = "".join(ch for ch in to_ascii_digits(text) if ch.isdigit())
    return digits if len(digits) == 6 else None


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    rlat1, rlat2 = math.radians(lat1), math.radians(lat2)
    dlat, dlon = rlat2 - rlat1, math.radians(lon2 - lon1)
    a = math.sin(dlat / 2) ** 2 + math.cos(rlat1) * math.cos(rlat2) * math.sin(dlon / 2) ** 2
    return 2 * 6_371_000 * math.asin(math.sqrt(a))


def box_around(latitude: float, longitude: float) -> tuple[float, float, float, float]:
    """Latitudes and longitudes (min, max, min, max) of a square holding every point within
    DUPLICATE_RADIUS_M: what the database can narrow down before `same_problem` measures."""
    dlat = math.degrees(DUPLICATE_RADIUS_M / 6_371_000)
    dlon = dlat / max(math.cos(math.radians(latitude)), 0.01)
    return latitude - dlat, latitude + dlat, longitude - dlon, longitude + dlon


def same_problem(candidate: Ticket, latitude: float | None, longitude: float | None) -> bool:
    """Same category and neighborhood are given; where both have a location, also near."""
    if (
        latitude is None
        or longitude is None
        or candidate.latitude is None
        or candidate.longitude is None
    ):
        return True
    return distance_m(latitude, longitude, candidate.latitude, candidate.longitude) <= (
        DUPLICATE_RADIUS_M
    )
