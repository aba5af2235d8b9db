"""The catalog keys the database holds: renamed ones are moved at start, and a key that open
tickets, residents or report drafts still use but the catalog no longer has stops the start
with a line naming it (those tickets could be acted on by nobody, those drafts would crash)."""

import logging

from bot.storage import Storage
from config.catalog import Catalog, CatalogError

_LOGGER = logging.getLogger(__name__)


async def reconcile(storage: Storage, catalog: Catalog) -> None:
    for section, mapping in catalog.renamed.sections().items():
        for old, new in mapping.items():
            moved = await storage.rename_key(section, old, new)
            if moved:
                _LOGGER.warning("Catalog %s: '%s' renamed to '%s' (%d rows)", section, old, new,
                                moved)  # fmt: skip
    known = {section: {e.key for e in getattr(catalog, section)} for section in
             catalog.renamed.sections()}  # fmt: skip
    missing = [use for use in await storage.keys_in_use() if use.key not in known[use.section]]
    if missing:
        problems = "; ".join(
            f"{use.section} '{use.key}' is used by {use.count} {use.what}" for use in missing
        )
        raise CatalogError(
            f"{problems} — put the key back, or map it to its new name under [renamed.<section>]"
        )
