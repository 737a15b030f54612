"""Extra-contract operations. Each is one transaction, records the ticket's history and
queues its notifications; the help desk's own actions do the ticket part."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from sportello.accounts.models import Client, User
from sportello.billing import actions as billing
from sportello.billing.models import Quote, QuoteLine
from sportello.catalog.models import SupportLevel
from sportello.core import audit
from sportello.core.calendar import next_working_day
from sportello.core.models import AuditEvent
from sportello.core.money import ZERO, cents
from sportello.helpdesk import actions as helpdesk
from sportello.helpdesk.models import Category, Message, Ticket
from sportello.helpdesk.office import due_after
from sportello.mail.actions import queue_to_staff
from sportello.services.models import Service

from .models import BilledLine, ExtraSettings, Intervention, Level, Skill, Technician, TimeEntry
from .pricing import Breakdown, Kind, in_office_hours, in_ordinary_hours, money, price

if TYPE_CHECKING:
    from sportello.helpdesk.actions import Upload

Request = Intervention.Request
EntryKind = TimeEntry.Kind


# --- Rules ------------------------------------------------------------------------------


def extra_category() -> Category:
    category = Category.objects.filter(kind=Category.Kind.EXTRA, active=True).first()
    if category is None:
        raise ValidationError(_("Extra-contract assistance is not offered at the moment."))
    return category


def request_kind(request: str) -> Kind:
    return Kind(
        urgent=request == Request.URGENT,
        planned=request == Request.PLANNED,
        simple=request == Request.REBOOT,
    )


def take_in_charge_due(ticket: Ticket, request: str, now: datetime) -> datetime:
    """Urgent requests and reboots within 1 hour, round the clock; the others within 8
    working hours of the ticket's department (h24 on the global plan) (EXT-1)."""
    settings = ExtraSettings.current()
    if request in (Request.URGENT, Request.REBOOT):
        return now + timedelta(hours=settings.urgent_take_in_charge_hours)
    return due_after(now, settings.take_in_charge_hours, helpdesk.office_of(ticket))


def earliest_planned_day(now: datetime) -> date:
    settings = ExtraSettings.current()
    day = timezone.localdate(now)
    for _step in range(settings.planned_notice_working_days):
        day = next_working_day(day, settings.holiday_country)
    return day


def check_planned_start(start: datetime | None, now: datetime) -> None:
    """Planned night or holiday work is booked at least one working day ahead (EXT-3)."""
    settings = ExtraSettings.current()
    if start is None:
        raise ValidationError(_("Give the preferred date and time for planned work."))
    earliest = earliest_planned_day(now)
    if timezone.localdate(start) < earliest:
        raise ValidationError(
            _("Planned work must be booked at least %(days)s working day(s) ahead: the "
              "earliest date is %(date)s.")
            % {"days": settings.planned_notice_working_days,
               "date": earliest.strftime("%d/%m/%Y")}
        )  # fmt: skip
    if in_ordinary_hours(start, settings):
        raise ValidationError(
            _("Planned work is for nights and holidays: in ordinary hours (Monday to Friday, "
              "%(opens)s–%(closes)s) ask for ordinary work.")
            % {"opens": settings.ordinary_opens_at.strftime("%H:%M"),
               "closes": settings.ordinary_closes_at.strftime("%H:%M")}
        )  # fmt: skip


def support_plan(ticket: Ticket) -> str:
    """The support plan covering the ticket's server (SRV-10: a plan is attached to the
    server it applies to); without a server, the client's best plan."""
    if ticket.service_id:
        return Service.objects.filter(parent_id=ticket.service_id).support_level()
    return helpdesk.support_level(ticket.client)


def covered_by_plan(kind: str, start: datetime, plan: str, settings: ExtraSettings) -> str:
    """Why this work costs nothing under the client's plan (EXT-8), or ''."""
    if (
        kind == EntryKind.MAINTENANCE
        and plan == "global"
        and not in_ordinary_hours(start, settings)
    ):
        return _("Hardware maintenance in soft hours is included in the global plan.")
    if kind == EntryKind.MIGRATION and in_ordinary_hours(start, settings):
        return _("Physical help by our farm staff during a migration is free in business hours.")
    if kind == EntryKind.REBOOT and plan:
        if plan in ("managed", "global"):
            return _("Reboots are included in your support plan, round the clock.")
        if in_office_hours(start, settings):
            return _("A reboot in office hours is included in your support plan.")
    return ""


def entry_kind(entry_kind_value: str, intervention: Intervention) -> Kind:
    """Reboots and simple help are on-duty work at night; everything else is priced as the
    client asked for it (ordinary, urgent or planned)."""
    if entry_kind_value in (EntryKind.SIMPLE, EntryKind.REBOOT):
        return Kind(urgent=False, simple=True)
    if intervention.request == Request.REBOOT:
        return Kind(urgent=True)
    return request_kind(intervention.request)


@dataclass
class Charges:
    """What an intervention's time comes to: priced groups, covered entries, the cap."""

    groups: list[tuple[Breakdown, list[TimeEntry]]] = field(default_factory=list)
    covered: list[tuple[TimeEntry, str]] = field(default_factory=list)  # (entry, reason)
    cap: Decimal = ZERO  # taken off when a refused quote limits the bill (negative or 0)

    @property
    def total(self) -> Decimal:
        return sum((b.total for b, _e in self.groups), ZERO) + self.cap


def compute_charges(intervention: Intervention, entries: Iterable[TimeEntry], *,
                    fee_charged: bool = False,
                    already_billed: Decimal = ZERO) -> Charges:  # fmt: skip
    """Entries of the same level starting in the same band are billed together, priced in
    the band of the first one; the urgent fee once per intervention. When the client did
    not approve a quote, the whole is capped (EXT-6)."""
    settings = ExtraSettings.current()
    plan = support_plan(intervention.ticket)
    charges = Charges()
    groups: dict[tuple[str, str, Kind], list[TimeEntry]] = {}
    for entry in sorted(entries, key=lambda e: (e.start, e.pk or 0)):
        reason = covered_by_plan(entry.kind, entry.start, plan, settings)
        if reason:
            charges.covered.append((entry, reason))
            continue
        kind = entry_kind(entry.kind, intervention)
        probe = price(entry.level, kind, entry.start, 1, fee=False, settings=settings)
        groups.setdefault((probe.band, entry.level, kind), []).append(entry)
    for (_band, level, kind), members in groups.items():
        minutes = sum(entry.minutes for entry in members)
        breakdown = price(level, kind, members[0].start, minutes, fee=not fee_charged,
                          settings=settings)  # fmt: skip
        fee_charged = fee_charged or breakdown.urgent_fee > 0
        charges.groups.append((breakdown, members))
    if intervention.quote is not None and not intervention.quote_approved:
        room = max(settings.refused_quote_cap - already_billed, ZERO)
        charges.cap = min(room - charges.total, ZERO)
    return charges


def running_charge(intervention: Intervention) -> Charges:
    return compute_charges(intervention, list(intervention.entries.all()))


def is_qualified(user: User, intervention: Intervention) -> bool:
    technician = Technician.objects.filter(user=user).first()
    if technician is None or not user.is_active:
        return False
    if intervention.skill_id is None or intervention.request == Request.REBOOT:
        return True
    return technician.skills.filter(pk=intervention.skill_id).exists()


def qualified_technicians(intervention: Intervention) -> QuerySet[User]:
    people = User.objects.filter(is_active=True, is_staff=True, technician__isnull=False)
    department = intervention.ticket.department_id
    people = people.filter(departments=department) | people.filter(role=User.Role.ADMIN)
    if intervention.skill_id and intervention.request != Request.REBOOT:
        people = people.filter(technician__skills=intervention.skill_id)
    return people.distinct().select_related("technician").order_by("first_name", "email")


# --- History and notifications -----------------------------------------------------------


def _event(ticket: Ticket, author: User | None, now: datetime, event: str,
           **data: str | bool) -> Message:  # fmt: skip
    Ticket.objects.filter(pk=ticket.pk).update(last_activity_at=now)
    return Message.objects.create(
        ticket=ticket, kind=Message.Kind.EVENT, author=author, event=event, event_data=data,
        created_at=now,
    )  # fmt: skip


def _notify_client(intervention: Intervention, template: str, context: dict[str, Any]) -> None:
    helpdesk.notify_client(intervention.ticket, template, {"intervention": intervention,
                                                          **context})  # fmt: skip


def _notify_staff(intervention: Intervention, what: str, recipients: Iterable[User]) -> None:
    context = {"ticket": intervention.ticket, "intervention": intervention, "what": what}
    queue_to_staff(recipients, "extra_staff", context)


def _staff_of(intervention: Intervention) -> list[User]:
    if intervention.technician is not None:
        return [intervention.technician]
    return helpdesk.staff_to_alert(intervention.ticket)


def _locked(intervention: Intervention) -> Intervention:
    return (
        Intervention.objects.select_for_update(of=("self",))
        .select_related("ticket__client", "ticket__department", "quote", "skill")
        .get(pk=intervention.pk)
    )


def _check_open(intervention: Intervention) -> None:
    if not intervention.is_active:
        raise ValidationError(_("This ticket is closed."))


# --- Opening --------------------------------------------------------------------------------


def start_intervention(ticket: Ticket, now: datetime, *, request: str = Request.ORDINARY,
                       skill: Skill | None = None, preferred_start: datetime | None = None,
                       preferred_notes: str = "") -> Intervention:  # fmt: skip
    """Every extra-contract ticket gets its intervention, whatever channel opened it."""
    intervention, _created = Intervention.objects.update_or_create(
        ticket=ticket,
        defaults={
            "request": request, "skill": skill, "preferred_start": preferred_start,
            "preferred_notes": preferred_notes,
            "take_in_charge_due": take_in_charge_due(ticket, request, now),
        },
    )  # fmt: skip
    return intervention


# Restores are part of these plans (seed 003: "restore (integrale o parziale) di dati su
# richiesta del cliente" in the global plan, restore after a crash in full management).
PLANS_WITH_RESTORES = (SupportLevel.MANAGED, SupportLevel.GLOBAL)


def backup_restore_opened(ticket: Ticket, now: datetime) -> Intervention | None:
    """A backup or restore request (SRV-13): included in a managed or global plan, noted on
    the ticket; otherwise extra-contract work priced from the rate card, an intervention
    like any other, which the client is told on the ticket."""
    plan = support_plan(ticket)
    if plan in PLANS_WITH_RESTORES:
        _event(ticket, None, now, "restore_included", plan=plan)
        return None
    intervention = start_intervention(ticket, now)
    _event(ticket, None, now, "restore_extra")
    return intervention


@transaction.atomic
def request_intervention(client: Client, *, request: str, subject: str, body: str,
                         now: datetime, skill: Skill | None = None,
                         service: Service | None = None, preferred_start: datetime | None = None,
                         preferred_notes: str = "", attachments: Sequence["Upload"] = (),
                         user: User | None = None,
                         http_request: HttpRequest | None = None) -> Intervention:  # fmt: skip
    """The client asks for paid work (EXT-1): ordinary, urgent (urgent fee), planned
    night/holiday work with preferred dates, or a reboot."""
    if request not in Request.values:
        raise ValidationError(_("Choose the kind of intervention."))
    if request == Request.PLANNED:
        check_planned_start(preferred_start, now)
    ticket = helpdesk.open_ticket(
        client, category=extra_category(), subject=subject, body=body, now=now,
        service=service, attachments=attachments, user=user, request=http_request,
    )  # fmt: skip
    return start_intervention(
        ticket, now, request=request, skill=skill, preferred_start=preferred_start,
        preferred_notes=preferred_notes.strip(),
    )  # fmt: skip


# --- Taking in charge -------------------------------------------------------------------------


def mark_taken(
    intervention: Intervention, technician: User, author: User | None, now: datetime
) -> bool:
    """The ticket is taken in charge when it is assigned to a qualified technician."""
    if intervention.taken_in_charge_at or not is_qualified(technician, intervention):
        return False
    intervention.taken_in_charge_at = now
    intervention.technician = technician
    intervention.save(update_fields=["taken_in_charge_at", "technician"])
    name = technician.get_full_name() or technician.email
    _event(intervention.ticket, author, now, "extra_taken", to=name)
    _notify_client(intervention, "extra_taken", {"technician": technician})
    return True


@transaction.atomic
def take_in_charge(
    intervention: Intervention, staff: User, technician: User, now: datetime
) -> Intervention:
    intervention = _locked(intervention)
    _check_open(intervention)
    if not is_qualified(technician, intervention):
        raise ValidationError(
            _("%(name)s is not a technician prepared for this kind of work.")
            % {"name": technician.get_full_name() or technician.email}
        )
    if intervention.taken_in_charge_at:
        raise ValidationError(_("This request has already been taken in charge."))
    helpdesk.assign(intervention.ticket, staff, technician, now)  # the hook marks it taken
    intervention.refresh_from_db()
    return intervention


# --- Estimates and quotes -------------------------------------------------------------------------


def estimate_for(
    intervention: Intervention, level: str, start: datetime, minutes: int
) -> Breakdown:
    kind = entry_kind(EntryKind.WORK, intervention)
    return price(level, kind, start, minutes)


@transaction.atomic
def estimate(intervention: Intervention, staff: User, *, level: str, start: datetime,
             minutes: int, now: datetime,
             request: HttpRequest | None = None) -> Intervention:  # fmt: skip
    """Staff's estimate for the client; above the threshold it is a quote the client must
    approve in the panel before work starts (EXT-6)."""
    intervention = _locked(intervention)
    _check_open(intervention)
    if intervention.quote is not None:
        raise ValidationError(_("A quote has already been sent for this intervention."))
    breakdown = estimate_for(intervention, level, start, minutes)
    settings = ExtraSettings.current()
    intervention.estimate = breakdown.as_dict()
    intervention.estimated_at = now
    ticket = intervention.ticket
    if breakdown.total > settings.quote_above:
        intervention.quote = _make_quote(intervention, breakdown, now, request)
    intervention.save()
    _event(ticket, staff, now, "extra_estimate", total=f"{breakdown.total:.2f}",
           quote=intervention.quote is not None)  # fmt: skip
    _notify_client(intervention, "extra_estimate", {"breakdown": breakdown, "settings": settings})
    return intervention


def _make_quote(intervention: Intervention, breakdown: Breakdown, now: datetime,
                request: HttpRequest | None) -> Quote:  # fmt: skip
    ticket = intervention.ticket
    client = ticket.client
    with translation.override(client.language):
        quote = Quote.objects.create(
            client=client,
            title=_("Extra-contract assistance, ticket %(code)s") % {"code": ticket.code},
            notes=_("Work starts once you approve this quote in your client area. It is "
                    "billed on the time actually worked, priced in the band where it "
                    "starts. If you refuse it, only work already done is billed, at most "
                    "%(cap)s + VAT.")
            % {"cap": money(ExtraSettings.current().refused_quote_cap)},
            deposit_percent=ZERO,
            status=Quote.Status.SENT,
            valid_until=timezone.localdate(now) + timedelta(days=30),
        )  # fmt: skip
        lines: list[tuple[str, int, Decimal]] = []
        label = f"{breakdown.level_label()}, {breakdown.band_label().lower()}"
        if breakdown.first_block_minutes:
            lines.append((f"{label}: " + _("first block"), 1, breakdown.first_block_price))
        if breakdown.slices:
            lines.append(
                (f"{label}: " + _("per started %(slice)s") % {"slice": _duration(breakdown)},
                 breakdown.slices, breakdown.slice_price)
            )  # fmt: skip
        if breakdown.urgent_fee:
            lines.append((_("Urgent fee"), 1, breakdown.urgent_fee))
    QuoteLine.objects.bulk_create(
        QuoteLine(quote=quote, description=text[:300], quantity=Decimal(qty), unit_price=unit,
                  net=cents(Decimal(qty) * unit))
        for text, qty, unit in lines
    )  # fmt: skip
    audit.record(AuditEvent.Action.QUOTE_SENT, request=request, client=client, detail=str(quote))
    return quote


def _duration(breakdown: Breakdown) -> str:
    from .pricing import duration

    return duration(breakdown.slice_minutes)


@transaction.atomic
def decide_quote(intervention: Intervention, user: User, approve: bool, now: datetime,
                 request: HttpRequest | None = None) -> Intervention:  # fmt: skip
    intervention = _locked(intervention)
    quote = intervention.quote
    if quote is None or not intervention.quote_pending:
        raise ValidationError(_("This quote has already been answered."))
    if approve:
        billing.accept_quote(quote, now, request=request)
    else:
        Quote.objects.filter(pk=quote.pk).update(status=Quote.Status.DECLINED)
    intervention.quote_decided_at = now
    intervention.save(update_fields=["quote_decided_at"])
    quote.refresh_from_db()
    _event(intervention.ticket, user, now,
           "extra_quote_approved" if approve else "extra_quote_refused")  # fmt: skip
    _notify_staff(intervention, "approved" if approve else "refused", _staff_of(intervention))
    return intervention


# --- Time ----------------------------------------------------------------------------------


@transaction.atomic
def log_time(intervention: Intervention, staff: User, *, technician: User, level: str, kind: str,
             start: datetime, end: datetime, now: datetime,
             note: str = "") -> TimeEntry:  # fmt: skip
    intervention = _locked(intervention)
    _check_open(intervention)
    if not intervention.taken_in_charge_at:
        raise ValidationError(_("Take the request in charge before logging time."))
    if intervention.quote_pending:
        raise ValidationError(_("The client has not approved the quote yet: work waits."))
    if intervention.quote_refused:
        raise ValidationError(_("The client refused the quote: no further work is billed."))
    if level not in Level.values or kind not in EntryKind.values:
        raise ValidationError(_("Choose the level and the kind of work."))
    if end <= start:
        raise ValidationError(_("The end must come after the start."))
    if end > now + timedelta(minutes=5):
        raise ValidationError(_("Log time once it has been worked: the end is in the future."))
    if end - start > timedelta(hours=24):
        raise ValidationError(_("One entry covers at most 24 hours: split longer work."))
    entry = TimeEntry.objects.create(
        intervention=intervention, technician=technician, level=level, kind=kind,
        start=start, end=end, note=note.strip(), created_at=now,
    )  # fmt: skip
    Ticket.objects.filter(pk=intervention.ticket_id).update(last_activity_at=now)
    return entry


@transaction.atomic
def delete_entry(entry: TimeEntry, staff: User, now: datetime) -> None:
    entry = TimeEntry.objects.select_for_update().get(pk=entry.pk)
    if entry.billed_line_id:
        raise ValidationError(_("This time has already been billed."))
    entry.delete()


# --- Closing --------------------------------------------------------------------------------


@transaction.atomic
def close_not_possible(intervention: Intervention, staff: User, reason: str, now: datetime,
                       request: HttpRequest | None = None) -> Intervention:  # fmt: skip
    """Nobody qualified, too hard or impossible: the ticket closes with no charge and the
    client is told, with an offer to look at alternatives together (EXT-1)."""
    intervention = _locked(intervention)
    _check_open(intervention)
    if not reason.strip():
        raise ValidationError(_("Explain to the client why the work is not possible."))
    intervention.outcome = Intervention.Outcome.NOT_POSSIBLE
    intervention.closed_at = now
    intervention.save(update_fields=["outcome", "closed_at"])
    quote = intervention.quote
    if quote is not None and intervention.quote_pending:
        Quote.objects.filter(pk=quote.pk).update(status=Quote.Status.DECLINED)
    _event(intervention.ticket, staff, now, "extra_not_possible")
    with translation.override(intervention.ticket.client.language):
        body = "\n\n".join([
            reason.strip(),
            _("We cannot carry out this intervention, so nothing will be charged. We will "
              "contact you to look at alternative solutions together."),
        ])  # fmt: skip
    helpdesk.reply_as_staff(intervention.ticket, staff, body, now, then=Ticket.Status.CLOSED)
    return intervention


def bill(intervention: Intervention, author: User | None, now: datetime) -> Decimal:
    """At closing, the time not billed yet becomes extra charges on the client's next
    invoice, or an invoice now (a setting); each line says how it was priced."""
    intervention = _locked(intervention)
    if intervention.outcome == Intervention.Outcome.NOT_POSSIBLE:
        return ZERO
    entries = list(intervention.entries.filter(billed_line__isnull=True))
    previous = list(intervention.billed_lines.all())
    already = sum((line.amount for line in previous), ZERO)
    fee_charged = any(Decimal(line.breakdown.get("urgent_fee", "0")) for line in previous)
    charges = compute_charges(intervention, entries, fee_charged=fee_charged,
                              already_billed=already)  # fmt: skip
    ticket = intervention.ticket
    client = ticket.client
    billed = ZERO
    with translation.override(client.language):
        for breakdown, members in charges.groups:
            text = _("Extra-contract assistance %(code)s: %(summary)s") % {
                "code": ticket.code, "summary": breakdown.summary()}  # fmt: skip
            line = _billed_line(intervention, text, breakdown.total, breakdown.as_dict(),
                                author, now)  # fmt: skip
            TimeEntry.objects.filter(pk__in=[e.pk for e in members]).update(billed_line=line)
            billed += breakdown.total
        if charges.cap:
            cap = money(ExtraSettings.current().refused_quote_cap)
            text = _(
                "Extra-contract assistance %(code)s: quote not approved, billed at most %(cap)s"
            ) % {"code": ticket.code, "cap": cap}
            _billed_line(intervention, text, charges.cap, {"cap": f"{charges.cap:.2f}"},
                         author, now)  # fmt: skip
            billed += charges.cap
    if billed > 0 and ExtraSettings.current().invoicing == ExtraSettings.Invoicing.NOW:
        invoice = billing.draft_invoice(client, [], now, include_pending_charges=True)
        billing.issue_invoice(invoice, now)
    intervention.outcome = (
        Intervention.Outcome.BILLED if billed or previous else Intervention.Outcome.FREE
    )
    intervention.closed_at = now
    intervention.save(update_fields=["outcome", "closed_at"])
    quote = intervention.quote
    if quote is not None and intervention.quote_approved:
        Quote.objects.filter(pk=quote.pk).update(status=Quote.Status.DELIVERED, delivered_at=now)
    elif quote is not None and intervention.quote_pending:
        Quote.objects.filter(pk=quote.pk).update(status=Quote.Status.DECLINED)
    _event(ticket, author, now, "extra_billed", total=f"{billed:.2f}")
    return billed


def _billed_line(intervention: Intervention, text: str, amount: Decimal,
                 breakdown: dict[str, Any], author: User | None,
                 now: datetime) -> BilledLine:  # fmt: skip
    charge = billing.add_charge(intervention.ticket.client, text[:300], amount, now, actor=author)
    return BilledLine.objects.create(
        intervention=intervention, charge=charge, breakdown=breakdown, amount=amount,
        created_at=now,
    )  # fmt: skip


def reopened(intervention: Intervention) -> None:
    """A closed ticket the client reopens can take more work; what was billed stays."""
    Intervention.objects.filter(pk=intervention.pk).update(outcome="", closed_at=None)


# --- Late take-in-charge ------------------------------------------------------------------------


def alert_late(intervention_pk: int, now: datetime) -> bool:
    """One alert per late request; the conditional update is the claim."""
    with transaction.atomic():
        claimed = Intervention.objects.filter(
            pk=intervention_pk, late_alert_sent_at__isnull=True, taken_in_charge_at__isnull=True
        ).update(late_alert_sent_at=now)
        if not claimed:
            return False
        intervention = Intervention.objects.select_related("ticket__department").get(
            pk=intervention_pk
        )
        people = list(qualified_technicians(intervention)) or helpdesk.staff_to_alert(
            intervention.ticket
        )
        _notify_staff(intervention, "late", people)
        return True
