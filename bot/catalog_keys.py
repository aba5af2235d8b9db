"""The catalog keys the database holds: renamed ones are moved at start, and a key that open
tickets, residents or report drafts still use but the catalog no longer has stops the start
with a line naming it (those tickets could be acted on by nobody, those drafts would crash)."""

import logging

from bot.storage import Storage
from config.catalog import Catalog, CatalogError

_LOGGER = logging.getLogger(__name__)


async def reconcile(storage: Storage, catalog: Catalog, *, apply_renames: bool = True) -> None:
    """Move renamed keys (unless only reading: then they count as known, as they will move at
    the next start), then refuse keys nobody can serve."""
    renames = catalog.renamed.sections()
    for section, mapping in renames.items() if apply_renames else ():
        for old, new in mapping.items():
            moved = await storage.rename_key(section, old, new)
            if moved:
                _LOGGER.warning("Catalog %s: '%s' renamed to '%s' (%d rows)", section, old, new,
                                moved)  # fmt: skip
    known = {
        section: {e.key for e in getattr(catalog, section)} | (set() if apply_renames else
                                                               set(renames[section]))
        for section in renames
    }  # fmt: skip
    missing = [use for use in await storage.keys_in_use() if use.key not in known[use.section]]
    if missing:
        problems = "; ".join(
            f"{use.section} '{use.key}' is used by {use.count} {use.what}" for use in missing
        )
        raise CatalogError(
            f"{problems} — put the key back, or map it to its new name under [renamed.<section>]"
        )
