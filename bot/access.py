"""Who may do what: one typed answer, `Access`, for every handler and service that checks a role.

People are:
- a super-admin (ADMIN_IDS): everything, in every neighborhood; grants and revokes roles;
- a facilitator of a neighborhood: triages its tickets and announces to its residents;
- agency staff, by an explicit grant for the agency, or by pressing the agency's card in its
  linked chat (Telegram vouches for the chat a button was pressed in);
- a supervisor (the governorate): reads the queue and any ticket in the province, acts on none.

`access_of` reads a person's roles with one query, at the moment they act: nothing is cached, so
a role taken back counts at once. This module imports nothing of the bot at run time (storage
and the repositories use `Role`); it holds no SQL and no Telegram.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from bot.application import MahallehApplication
    from bot.repositories.staff import StaffRole
    from bot.storage import Ticket


class Role(StrEnum):
    """A staff role as stored in `staff_roles.role`; its scope says where it applies."""

    FACILITATOR = "facilitator"  # scope: a neighborhood key
    AGENCY = "agency"  # scope: an agency key
    SUPERVISOR = "supervisor"  # scope: PROVINCE


PROVINCE = "*"  # the scope of a role that covers the whole province (a supervisor's)


def check_role(role: str, scope: str) -> Role:
    """The role named `role`, if `scope` suits it; ValueError otherwise. (The database no
    longer checks roles, so that adding one needs no table rebuild: this does.)"""
    checked = Role(role)
    province_wide = checked is Role.SUPERVISOR
    if not scope or province_wide != (scope == PROVINCE):
        raise ValueError(f"scope {scope!r} does not suit role {checked}")
    return checked


@dataclass(frozen=True, slots=True)
class Scope:
    """Some catalog keys, or all of them (`everywhere`), so that "all" needs no catalog."""

    keys: frozenset[str] = frozenset()
    everywhere: bool = False

    ALL: ClassVar[Scope]
    NONE: ClassVar[Scope]

    def __contains__(self, key: object) -> bool:
        return self.everywhere or key in self.keys

    def __bool__(self) -> bool:
        return self.everywhere or bool(self.keys)

    def among(self, known: Iterable[str]) -> list[str]:
        """The keys, listed: `known` ones in their order when everywhere, else sorted."""
        return list(known) if self.everywhere else sorted(self.keys)

    def sole(self) -> str | None:
        """The one key, if the scope is exactly one (a facilitator of one neighborhood)."""
        return next(iter(self.keys)) if not self.everywhere and len(self.keys) == 1 else None


Scope.ALL = Scope(everywhere=True)
Scope.NONE = Scope()


def _no_chat(agency: str) -> int | None:
    return None


@dataclass(frozen=True, slots=True)
class Access:
    """What one person may do now. Build it with `Access.of` (or `access_of`)."""

    user_id: int
    is_admin: bool = False
    supervisor: bool = False
    neighborhoods: Scope = Scope.NONE  # they triage these and announce to their residents
    agencies: frozenset[str] = frozenset()  # they act for these from any chat (granted)
    # Where each agency receives its cards (`AgencyChats.chat_of`): a press there is the agency's.
    agency_chat: Callable[[str], int | None] = field(default=_no_chat, compare=False, repr=False)

    @classmethod
    def of(
        cls,
        user_id: int,
        roles: Iterable[StaffRole],
        admins: Collection[int],
        agency_chat: Callable[[str], int | None] = _no_chat,
    ) -> Access:
        roles = list(roles)
        is_admin = user_id in admins

        def scopes(role: Role) -> frozenset[str]:
            return frozenset(r.scope for r in roles if r.role == role)

        return cls(
            user_id=user_id,
            is_admin=is_admin,
            supervisor=bool(scopes(Role.SUPERVISOR)),
            neighborhoods=Scope.ALL if is_admin else Scope(scopes(Role.FACILITATOR)),
            agencies=scopes(Role.AGENCY),
            agency_chat=agency_chat,
        )

    # ------------------------------------------------------------------ who they are

    @property
    def is_staff(self) -> bool:
        """A super-admin or anyone holding a role (the staff menu, /chatid)."""
        return self.is_admin or self.supervisor or bool(self.neighborhoods) or bool(self.agencies)

    @property
    def reads(self) -> Scope:
        """Neighborhoods whose queue and tickets they may read: a supervisor's, the province."""
        return Scope.ALL if self.supervisor else self.neighborhoods

    # ------------------------------------------------------------------ tickets

    def may_triage(self, ticket: Ticket) -> bool:
        """Approve, reassign, edit, hide, close, mute: the office of the ticket's neighborhood."""
        return ticket.neighborhood in self.neighborhoods

    def may_read(self, ticket: Ticket) -> bool:
        """See the ticket as the office does (a supervisor: without the resident's contact
        unless shared, see `sees_contact`)."""
        return ticket.neighborhood in self.reads

    def sees_contact(self, ticket: Ticket) -> bool:
        """The resident's name and phone whether or not shared: only those who call back."""
        return self.may_triage(ticket)

    def may_act_as_agency(self, ticket: Ticket, chat_id: int | None) -> bool:
        """Press the buttons of (or reply to) the ticket's card: in the agency's own chat,
        or anywhere with the agency's grant."""
        in_agency_chat = chat_id is not None and chat_id == self.agency_chat(ticket.agency)
        return in_agency_chat or ticket.agency in self.agencies

    # ------------------------------------------------------------------ announcements

    @property
    def may_broadcast(self) -> bool:
        """Compose announcements and list them (a super-admin, or a facilitator)."""
        return bool(self.neighborhoods)

    def may_address(self, audience: Mapping[str, Any]) -> bool:
        """Send to `audience` (a broadcast's: `all`, `agencies`, `neighborhoods`): anyone for
        a super-admin; a facilitator, some of their own neighborhoods and nothing else."""
        if self.is_admin:
            return True
        chosen = set(audience.get("neighborhoods") or [])
        only_neighborhoods = not audience.get("all") and not audience.get("agencies")
        return only_neighborhoods and bool(chosen) and chosen <= self.neighborhoods.keys

    def may_stop(self, author_id: int, audience: Mapping[str, Any]) -> bool:
        """Stop an announcement: its author or a super-admin, while they may address it."""
        return (author_id == self.user_id or self.is_admin) and self.may_address(audience)

    # ------------------------------------------------------------------ roles

    @property
    def may_manage_staff(self) -> bool:
        """Grant, revoke and list roles."""
        return self.is_admin


async def access_of(app: MahallehApplication, user_id: int) -> Access:
    """What `user_id` may do now (one query: their roles)."""
    return Access.of(
        user_id,
        await app.storage.roles_of(user_id),
        app.settings.admin_ids,
        app.agency_chats.chat_of,
    )
