"""Where each agency receives its tickets: the chat linked to it from Telegram and stored in the
database (`bot.repositories.agency_links`: a group that became a supergroup; later, a group an
office links), else the catalog's `chat_id`.

Kept in memory (one bot process per database), loaded at start and told of every change, so that
code building messages inside a transaction can ask without a query. It logs which chat each
agency uses and where that comes from.
"""

import logging
from collections.abc import Mapping

from bot.repositories.agency_links import AgencyLink
from bot.storage import Storage
from config.catalog import Agency, Catalog

_LOGGER = logging.getLogger(__name__)


class AgencyChats:
    def __init__(self, catalog: Catalog) -> None:
        self._catalog = catalog
        self._links: dict[str, int] = {}

    def load(self, links: Mapping[str, AgencyLink]) -> None:
        """Take the stored links (at start) and log which chat each agency uses."""
        self._links = {}
        for key, link in links.items():
            if self._catalog.agency(key) is None:
                _LOGGER.warning("Chat %s is linked to agency %r, which the catalog no longer has",
                                link.chat_id, key)  # fmt: skip
                continue
            self._links[key] = link.chat_id
        from_catalog: list[str] = []
        without: list[str] = []
        for agency in self._catalog.agencies:
            linked = links.get(agency.key)
            if linked is not None:
                _LOGGER.info(
                    "Agency %s receives tickets in chat %s, linked in the database on %s (%s); "
                    "the catalog's chat_id (%s) is not used",
                    agency.key, linked.chat_id, linked.linked_at.date(), linked.note or "no note",
                    agency.chat_id,
                )  # fmt: skip
            elif agency.chat_id is not None:
                from_catalog.append(f"{agency.key} {agency.chat_id}")
            else:
                without.append(agency.key)
        _LOGGER.info("Agency chats from the catalog: %s; without a chat (their tickets wait in "
                     "the facilitators' queue): %s", ", ".join(from_catalog) or "none",
                     ", ".join(without) or "none")  # fmt: skip

    async def link(self, storage: Storage, agency_key: str, chat_id: int, by: int | None,
                   why: str = "") -> None:  # fmt: skip
        """Store a link (`by` who made it) and use it from now on."""
        await storage.link_agency_chat(agency_key, chat_id, by, why)
        self.linked(agency_key, chat_id, why)

    async def unlink(self, storage: Storage, agency_key: str, by: int | None) -> bool:
        """Forget the agency's stored link: the catalog's chat_id applies again."""
        removed = await storage.unlink_agency_chat(agency_key, by)
        if removed:
            self._links.pop(agency_key, None)
            _LOGGER.warning("Agency %s: link removed, tickets go to chat %s (catalog)",
                            agency_key, self.chat_of(agency_key))  # fmt: skip
        return removed

    def linked(self, agency_key: str, chat_id: int, why: str) -> None:
        """The agency's link changed in the database (committed, e.g. by `Storage.move_chat`):
        use it from now on."""
        before = self.chat_of(agency_key)
        self._links[agency_key] = chat_id
        _LOGGER.warning("Agency %s now receives tickets in chat %s, linked in the database "
                        "(was %s): %s", agency_key, chat_id, before, why)  # fmt: skip

    def chat_of(self, agency_key: str) -> int | None:
        """The chat `agency_key` receives its tickets in; None if it has none (or is unknown)."""
        if agency_key in self._links:
            return self._links[agency_key]
        agency = self._catalog.agency(agency_key)
        return agency.chat_id if agency else None

    def agencies_in(self, chat_id: int) -> list[Agency]:
        """The agencies that receive their tickets in `chat_id` (usually one, or none)."""
        return [a for a in self._catalog.agencies if self.chat_of(a.key) == chat_id]

    def chats(self) -> list[int]:
        """Every agency chat, once each, in catalog order."""
        chats = (self.chat_of(a.key) for a in self._catalog.agencies)
        return list(dict.fromkeys(chat for chat in chats if chat is not None))
