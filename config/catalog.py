"""The office catalog: neighborhoods, agencies and problem categories, loaded from TOML.

Offices edit `config/catalog.toml`, not code. Keys are short ASCII (they travel inside
callback data and deep links); names are what people read.
"""

import tomllib
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)
from pydantic_core import ErrorDetails


def _plain(value: str) -> str:
    """Names go into HTML messages as they are: no markup characters in them."""
    if any(ch in value for ch in "<>&"):
        raise ValueError("must not contain <, > or &")
    return value


Key = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,23}$")]
Name = Annotated[str, Field(min_length=1, max_length=120), AfterValidator(_plain)]


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Neighborhood(_Entry):
    key: Key
    name: Name
    office: Name
    address: str = ""
    phone: str = ""


class Agency(_Entry):
    key: Key
    name: Name
    chat_id: int | None = None
    sla_ack_hours: float = Field(default=24, gt=0)
    sla_resolve_hours: float = Field(default=168, gt=0)


class Category(_Entry):
    key: Key
    name: Name
    emoji: str = Field(default="", max_length=8)
    agency: Key
    review_first: bool = False


class CannedResponse(_Entry):
    """A ready answer an agency clerk can send with one button. `status` is the status it
    announces: it is offered one step before it and at it (see bot.tickets.CANNED_OFFERED_AT)."""

    status: Literal["acknowledged", "in_progress", "resolved"]
    text: Annotated[str, Field(min_length=1, max_length=1000)]


class Renamed(_Entry):
    """`[renamed.categories] old_key = "new_key"` (likewise neighborhoods and agencies): at
    start, whatever the bot holds under an old key moves to the new one."""

    neighborhoods: dict[str, Key] = Field(default_factory=dict)
    agencies: dict[str, Key] = Field(default_factory=dict)
    categories: dict[str, Key] = Field(default_factory=dict)

    def sections(self) -> dict[str, dict[str, str]]:
        return {
            "neighborhoods": self.neighborhoods,
            "agencies": self.agencies,
            "categories": self.categories,
        }


class Catalog(_Entry):
    neighborhoods: list[Neighborhood] = Field(min_length=1)
    agencies: list[Agency] = Field(min_length=1)
    categories: list[Category] = Field(min_length=1)
    canned_responses: list[CannedResponse] = Field(default_factory=list, max_length=20)
    # Keys renamed after tickets used them: old key -> new key, per section.
    renamed: Renamed = Field(default_factory=Renamed)

    @model_validator(mode="after")
    def _consistent(self) -> "Catalog":
        for section in ("neighborhoods", "agencies", "categories"):
            seen: set[str] = set()
            for index, entry in enumerate(getattr(self, section)):
                if entry.key in seen:
                    raise ValueError(f"{section}[{index}].key: '{entry.key}' is used twice")
                seen.add(entry.key)
        for section, mapping in self.renamed.sections().items():
            keys = {entry.key for entry in getattr(self, section)}
            for old, new in mapping.items():
                if new not in keys:
                    raise ValueError(f"renamed.{section}.{old}: '{new}' is not a key of {section}")
                if old in keys:
                    raise ValueError(
                        f"renamed.{section}.{old}: '{old}' is still a key of {section}"
                    )
        agency_keys = [agency.key for agency in self.agencies]
        for index, category in enumerate(self.categories):
            if category.agency not in agency_keys:
                raise ValueError(
                    f"categories[{index}].agency: '{category.agency}' is not an agency key "
                    f"(known: {', '.join(agency_keys)})"
                )
        return self

    def neighborhood(self, key: str) -> Neighborhood | None:
        return next((n for n in self.neighborhoods if n.key == key), None)

    def agency(self, key: str) -> Agency | None:
        return next((a for a in self.agencies if a.key == key), None)

    def category(self, key: str) -> Category | None:
        return next((c for c in self.categories if c.key == key), None)


class CatalogError(Exception):
    """The catalog file is missing or invalid; the message names the place and the fix."""


def load_catalog(path: Path) -> Catalog:
    try:
        # utf-8-sig: a file saved by Notepad may start with a byte-order mark.
        raw = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError as exc:
        raise CatalogError(f"{path}: file not found (set CATALOG_PATH)") from exc
    except UnicodeDecodeError as exc:
        raise CatalogError(f"{path}: not saved as UTF-8 (save it again as UTF-8)") from exc
    except OSError as exc:
        raise CatalogError(f"{path}: cannot be read ({exc.strerror})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise CatalogError(f"{path}: not valid TOML: {exc}") from exc
    try:
        return Catalog.model_validate(raw)
    except ValidationError as exc:
        raise CatalogError(f"{path}: " + "; ".join(_describe(e) for e in exc.errors())) from exc


def _describe(error: ErrorDetails) -> str:
    where = ""
    for part in error["loc"]:
        where += f"[{part}]" if isinstance(part, int) else (f".{part}" if where else str(part))
    message = error["msg"].removeprefix("Value error, ")
    return f"{where}: {message}" if where else message
