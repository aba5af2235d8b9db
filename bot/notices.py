"""What a ticket owes people: cards, notices and their buttons, as outbox messages.

Each builder returns `Outgoing` rows (or a `Notify` for `Storage.update_ticket`) that are
stored in the same transaction as the change that caused them; `bot.delivery` sends them.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from bot import texts_fa, tickets
from bot.agency_chats import AgencyChats
from bot.jalali import format_datetime
from bot.keyboards import Buttons, inline
from bot.persian import escape, isolate_ltr, to_persian_digits
from bot.storage import Media, Notify, Outgoing, Resident, Ticket
from config.catalog import Catalog


def message(
    chat_id: int, text: str, rows: Buttons | None = None, ticket_id: int | None = None
) -> Outgoing:
    payload: dict = {"text": text}
    if rows:
        payload["markup"] = inline(rows)
    return Outgoing(chat_id, "message", payload, ticket_id=ticket_id)


def agency_buttons(catalog: Catalog, ticket: Ticket) -> Buttons:
    """The clerk's buttons on a card: only the moves the ticket's status allows."""
    labels = {
        "ack": texts_fa.BUTTON_ACK,
        "prog": texts_fa.BUTTON_PROGRESS,
        "done": texts_fa.BUTTON_RESOLVED,
        "no": texts_fa.BUTTON_NOT_OURS,
    }
    rows: Buttons = []
    moves = [a for a, (sources, _) in tickets.AGENCY_ACTIONS.items() if ticket.status in sources]
    if moves:
        rows = [[(labels[a], f"a:{ticket.id}:{a}") for a in moves[i : i + 2]] for i in (0, 2)]
        rows = [row for row in rows if row]
        if ticket.status in tickets.AT_AGENCY and catalog.canned_responses:
            rows.append([(texts_fa.BUTTON_CANNED, f"a:{ticket.id}:cr")])
    return rows


def triage_buttons(ticket: Ticket, resident_muted: bool) -> Buttons:
    """A facilitator's buttons for a ticket waiting for review or in the queue."""
    t = ticket.id
    rows: Buttons = []
    if ticket.status == tickets.REVIEW:
        rows.append([(texts_fa.BUTTON_APPROVE, f"f:{t}:ok")])
    elif ticket.status == tickets.QUEUED:
        rows.append([(texts_fa.BUTTON_ASSIGN, f"f:{t}:as")])
    else:
        return []
    rows.append([(texts_fa.BUTTON_EDIT_TEXT, f"f:{t}:ed")])
    rows.append(
        [
            (texts_fa.BUTTON_SHOW_TEXT if ticket.hidden_text else texts_fa.BUTTON_HIDE_TEXT,
             f"f:{t}:ht"),
            (texts_fa.BUTTON_SHOW_MEDIA if ticket.hidden_media else texts_fa.BUTTON_HIDE_MEDIA,
             f"f:{t}:hm"),
        ]
    )  # fmt: skip
    close = texts_fa.BUTTON_REJECT if ticket.status == tickets.REVIEW else texts_fa.BUTTON_CLOSE
    rows.append([(close, f"f:{t}:cl")])
    rows.append([(texts_fa.BUTTON_UNMUTE if resident_muted else texts_fa.BUTTON_MUTE, f"f:{t}:mu")])
    return rows


@dataclass(frozen=True)
class Notices:
    catalog: Catalog
    tz: ZoneInfo
    admins: frozenset[int]
    chats: AgencyChats

    # ---------------------------------------------------------------- shared pieces

    def code(self, ticket: Ticket) -> str:
        return isolate_ltr(tickets.format_code(ticket.code))

    def category(self, ticket: Ticket) -> tuple[str, str]:
        category = self.catalog.category(ticket.category)
        return (category.emoji, category.name) if category else ("", ticket.category)

    def neighborhood(self, key: str) -> str:
        neighborhood = self.catalog.neighborhood(key)
        return neighborhood.name if neighborhood else key

    def agency(self, key: str) -> str:
        agency = self.catalog.agency(key)
        return agency.name if agency else key

    def agency_chat(self, ticket: Ticket) -> int | None:
        return self.chats.chat_of(ticket.agency)

    def ticket_rows(self, found: Sequence[Ticket], label: str, action: str) -> Buttons:
        """One button a ticket (`label` filled with code, category, status), data `action`
        with the ticket id in place of {id}."""
        rows: Buttons = []
        for ticket in found:
            emoji, category = self.category(ticket)
            text = label.format(
                code=tickets.format_code(ticket.code),
                emoji=emoji,
                category=category,
                status=texts_fa.STATUS[ticket.status],
            )
            rows.append([(text, action.format(id=ticket.id))])
        return rows

    def card_text(
        self,
        ticket: Ticket,
        resident: Resident | None,
        *,
        for_agency: bool,
        contact: bool | None = None,
    ) -> str:
        """The ticket as staff see it. Agencies see the name and phone only if the resident
        agreed, and nothing a facilitator hid; the office sees them always (`contact`: whether
        this reader does, whatever the resident chose; by default, the office only)."""
        emoji, category = self.category(ticket)
        if for_agency and ticket.hidden_text:
            body = texts_fa.CARD_TEXT_HIDDEN
        elif ticket.voice_file_id and not ticket.description:
            body = texts_fa.CARD_VOICE
        else:
            body = escape(ticket.description)
        if ticket.address:
            body += texts_fa.CARD_ADDRESS.format(address=escape(ticket.address))
        if contact is None:
            contact = not for_agency
        if resident is not None and (ticket.share_contact or contact):
            phone = isolate_ltr(resident.phone) if resident.phone else texts_fa.NO_PHONE
            body += texts_fa.CARD_CONTACT.format(name=escape(resident.first_name), phone=phone)
        actor = (
            texts_fa.CARD_ACTOR.format(name=escape(ticket.last_actor)) if ticket.last_actor else ""
        )
        text = texts_fa.CARD.format(
            code=self.code(ticket),
            emoji=emoji,
            category=category,
            neighborhood=self.neighborhood(ticket.neighborhood),
            time=format_datetime(ticket.created_at, self.tz),
            supporters=to_persian_digits(ticket.supporters),
            status=texts_fa.STATUS[ticket.status],
            actor=actor,
            body=body,
        )
        if for_agency and ticket.status in tickets.AT_AGENCY:
            text += texts_fa.CARD_HINT
        return text

    # ---------------------------------------------------------------- to the agency

    def deliver_to_agency(
        self,
        ticket: Ticket,
        resident: Resident | None,
        media: Sequence[Media],
        chat: int | None = None,
    ) -> list[Outgoing]:
        """Media, voice, location and the card with its buttons, to the agency's chat (or to
        `chat`, the one it is moving to)."""
        chat = chat or self.agency_chat(ticket)
        if chat is None:
            return []
        caption = texts_fa.MEDIA_CAPTION.format(code=self.code(ticket))
        out = []
        if not ticket.hidden_media:
            out += [
                Outgoing(chat, m.kind, {"file_id": m.file_id, "text": caption}, ticket_id=ticket.id)
                for m in media
            ]
        if ticket.voice_file_id and not ticket.hidden_text:
            out.append(
                Outgoing(chat, "voice", {"file_id": ticket.voice_file_id, "text": caption},
                         ticket_id=ticket.id)
            )  # fmt: skip
        if ticket.latitude is not None and ticket.longitude is not None:
            out.append(
                Outgoing(chat, "location", {"latitude": ticket.latitude,
                                            "longitude": ticket.longitude}, ticket_id=ticket.id)
            )  # fmt: skip
        card = {
            "text": self.card_text(ticket, resident, for_agency=True),
            "markup": inline(agency_buttons(self.catalog, ticket)),
            "card": True,
        }
        out.append(Outgoing(chat, "message", card, ticket_id=ticket.id))
        return out

    def card_edit(self, ticket: Ticket, resident: Resident | None) -> list[Outgoing]:
        """Bring the agency card up to date in place (if it was sent)."""
        if ticket.card_chat_id is None or ticket.card_message_id is None:
            return []
        payload = {
            "text": self.card_text(ticket, resident, for_agency=True),
            "markup": inline(agency_buttons(self.catalog, ticket)),
            "message_id": ticket.card_message_id,
        }
        return [Outgoing(ticket.card_chat_id, "edit", payload, ticket_id=ticket.id)]

    def to_card_chat(self, ticket: Ticket, text: str) -> list[Outgoing]:
        """A message to the agency chat, as a reply to the ticket's card."""
        if ticket.card_chat_id is None or ticket.status not in tickets.AT_AGENCY:
            return []
        payload = {"text": text, "reply_to": ticket.card_message_id}
        return [Outgoing(ticket.card_chat_id, "message", payload, ticket_id=ticket.id)]

    # ---------------------------------------------------------------- to facilitators

    def facilitator_ids(self, facilitators: Sequence[int]) -> list[int]:
        """Who triages a neighborhood: its facilitators, or the super-admins if it has none."""
        return list(facilitators) or sorted(self.admins)

    def triage(
        self,
        ticket: Ticket,
        resident: Resident | None,
        media: Sequence[Media],
        facilitators: Sequence[int],
        reason: str = "",
    ) -> list[Outgoing]:
        """The ticket, its media and the triage buttons, to each facilitator."""
        if ticket.status == tickets.REVIEW:
            header = texts_fa.TRIAGE_REVIEW.format(agency=self.agency(ticket.agency))
        else:
            header = texts_fa.TRIAGE_QUEUED.format(reason=reason or texts_fa.QUEUE_REASON_OTHER)
        text = header + self.card_text(ticket, resident, for_agency=False)
        muted = resident.muted if resident else False
        out = []
        for chat in self.facilitator_ids(facilitators):
            caption = texts_fa.MEDIA_CAPTION.format(code=self.code(ticket))
            out += [
                Outgoing(chat, m.kind, {"file_id": m.file_id, "text": caption}, ticket_id=ticket.id)
                for m in media
            ]
            if ticket.voice_file_id:
                out.append(
                    Outgoing(chat, "voice", {"file_id": ticket.voice_file_id, "text": caption},
                             ticket_id=ticket.id)
                )  # fmt: skip
            out.append(message(chat, text, triage_buttons(ticket, muted), ticket_id=ticket.id))
        return out

    def alert(self, facilitators: Sequence[int], text: str, ticket: Ticket) -> list[Outgoing]:
        return [
            message(chat, text, ticket_id=ticket.id) for chat in self.facilitator_ids(facilitators)
        ]

    def to_admins(self, text: str) -> list[Outgoing]:
        """A word to every super-admin."""
        return [message(admin, text) for admin in sorted(self.admins)]

    def queue_reason_no_chat(self, ticket: Ticket) -> str:
        return texts_fa.QUEUE_REASON_NO_CHAT.format(agency=self.agency(ticket.agency))

    # ---------------------------------------------------------------- to residents

    def status_notices(self, ticket: Ticket, followers: Sequence[int], by: str = "",
                       reason: str = "") -> list[Outgoing]:  # fmt: skip
        """The new status to the owner and every supporter; 'was it solved?' to the owner."""
        _, category = self.category(ticket)
        text = texts_fa.STATUS_NOTICE.format(
            code=self.code(ticket),
            category=category,
            status=texts_fa.STATUS[ticket.status],
            by=texts_fa.NOTICE_BY.format(who=escape(by)) if by else "",
            reason=texts_fa.NOTICE_REASON.format(reason=escape(reason)) if reason else "",
        )
        out = []
        for user_id in followers:
            if ticket.status == tickets.RESOLVED and user_id == ticket.resident_id:
                rows = [[(texts_fa.BUTTON_SOLVED_YES, f"r:{ticket.id}:y"),
                         (texts_fa.BUTTON_SOLVED_NO, f"r:{ticket.id}:n")]]  # fmt: skip
                out.append(message(user_id, text + texts_fa.ASK_SOLVED, rows, ticket_id=ticket.id))
            else:
                out.append(message(user_id, text + texts_fa.REPLY_HINT, ticket_id=ticket.id))
        return out

    def reply_notices(self, ticket: Ticket, followers: Sequence[int], who: str, text: str
                      ) -> list[Outgoing]:  # fmt: skip
        body = texts_fa.OFFICIAL_REPLY.format(who=escape(who), code=self.code(ticket),
                                              text=escape(text))  # fmt: skip
        return [message(u, body + texts_fa.REPLY_HINT, ticket_id=ticket.id) for u in followers]

    # ---------------------------------------------------------------- composed changes

    def status_change(self, resident: Resident | None, by: str = "", reason: str = "") -> Notify:
        """Notify for a status change: followers hear it, the agency card follows it."""

        def notify(ticket: Ticket, followers: list[int]) -> list[Outgoing]:
            return self.status_notices(ticket, followers, by, reason) + self.card_edit(
                ticket, resident
            )

        return notify
