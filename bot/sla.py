"""Deadlines from the catalog: a ticket not acknowledged, or not resolved, in time gets one
reminder in its agency's chat and a notice to its neighborhood's facilitators.

The reminder state is in the database, so a restart neither loses nor repeats one; the job
only has to run now and then.
"""

import logging
from datetime import timedelta

from bot import texts_fa
from bot.application import BotContext, MahallehApplication
from bot.persian import to_persian_digits

_LOGGER = logging.getLogger(__name__)
CHECK_EVERY = timedelta(minutes=5)


async def check_deadlines(application: MahallehApplication) -> int:
    """Remind about every ticket past a deadline not yet reminded; returns how many."""
    storage, notices = application.storage, application.notices
    now = storage.now()
    reminded = 0
    for agency in application.catalog.agencies:
        for stage, hours in (("ack", agency.sla_ack_hours), ("resolve", agency.sla_resolve_hours)):
            for ticket in await storage.overdue(agency.key, stage, now - timedelta(hours=hours)):
                _, category = notices.category(ticket)
                stage_name = texts_fa.SLA_STAGE[stage]
                to_agency = texts_fa.SLA_AGENCY.format(
                    stage=stage_name,
                    code=notices.code(ticket),
                    hours=to_persian_digits(f"{hours:g}"),
                )
                to_office = texts_fa.SLA_FACILITATOR.format(
                    stage=stage_name,
                    code=notices.code(ticket),
                    category=category,
                    neighborhood=notices.neighborhood(ticket.neighborhood),
                    agency=agency.name,
                )
                facilitators = await storage.facilitators_of(ticket.neighborhood)
                messages = notices.to_card_chat(ticket, to_agency) + notices.alert(
                    facilitators, to_office, ticket
                )
                await storage.mark_reminded(ticket.id, stage, messages)
                reminded += 1
    if reminded:
        _LOGGER.info("Sent %d deadline reminder(s)", reminded)
    return reminded


async def job(context: BotContext) -> None:
    await check_deadlines(context.app)
