"""The extra-contract workflow with pinned time: request, take in charge within the
target, estimate and quote, time, closing and billing, "not possible", entitlements."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from sportello.automation.registry import run_day
from sportello.billing.models import Charge, Invoice, Quote
from sportello.extra import actions
from sportello.extra.models import ExtraSettings, Intervention
from sportello.extra.tests.conftest import at, attach_plan
from sportello.helpdesk import actions as helpdesk
from sportello.helpdesk.models import Category, Message, Ticket
from sportello.mail.models import OutboundEmail
from sportello.testing import make_ticket

pytestmark = pytest.mark.django_db
TUESDAY_10 = at(2026, 3, 10, 10, 0)
FRIDAY_16 = at(2026, 3, 13, 16, 0)


def ask(client, when, request="ordinary", **options):
    options.setdefault("subject", "Configurare il firewall di srv1")
    options.setdefault("body", "Aprire la porta 8443 solo per il nostro ufficio.")
    return actions.request_intervention(client, request=request, now=when, **options)


def log(intervention, who, start, minutes, kind="work", level="senior"):
    return actions.log_time(
        intervention, who, technician=who, level=level, kind=kind, start=start,
        end=start + timedelta(minutes=minutes), now=start + timedelta(minutes=minutes),
    )  # fmt: skip


def close(intervention, who, when):
    helpdesk.set_status(intervention.ticket, who, Ticket.Status.CLOSED, when)
    intervention.refresh_from_db()
    return intervention


def mails_to(client, template):
    return OutboundEmail.objects.filter(to_address=client.contact_email, template=template)


# --- Taking in charge ---------------------------------------------------------------------


def test_ordinary_request_is_due_in_eight_working_hours(owner, linux):
    # Friday 16:00: two hours on Friday (the helpdesk works till 18:00), six on Monday.
    intervention = ask(owner, FRIDAY_16, skill=linux)
    assert intervention.take_in_charge_due == at(2026, 3, 16, 15, 0)
    assert intervention.ticket.category.code == "extra-contract"


def test_urgent_request_is_due_within_the_hour_even_at_night(owner):
    night = at(2026, 3, 13, 23, 30)
    intervention = ask(owner, night, "urgent")
    assert intervention.take_in_charge_due == night + timedelta(hours=1)


def test_holidays_do_not_count_towards_the_target(owner):
    # Monday 7 December 2026, 14:00: four hours that day, 8 December is a holiday.
    intervention = ask(owner, at(2026, 12, 7, 14, 0))
    assert intervention.take_in_charge_due == at(2026, 12, 9, 13, 0)


def test_taken_in_charge_only_by_a_qualified_technician(owner, linux, senior, junior_windows):
    intervention = ask(owner, TUESDAY_10, skill=linux)
    assert list(actions.qualified_technicians(intervention)) == [senior]
    with pytest.raises(ValidationError, match="non è un tecnico"):
        actions.take_in_charge(intervention, senior, junior_windows, TUESDAY_10)
    # Assigning somebody unqualified from the desk does not count either.
    helpdesk.assign(intervention.ticket, senior, junior_windows, TUESDAY_10)
    intervention.refresh_from_db()
    assert intervention.taken_in_charge_at is None
    later = TUESDAY_10 + timedelta(minutes=40)
    intervention = actions.take_in_charge(intervention, senior, senior, later)
    assert (intervention.taken_in_charge_at, intervention.technician) == (later, senior)
    assert intervention.ticket.assignee == senior
    assert mails_to(owner, "extra_taken").count() == 1
    assert intervention.ticket.messages.filter(event="extra_taken").exists()


def test_late_requests_alert_the_qualified_technicians_once(owner, linux, senior):
    intervention = ask(owner, TUESDAY_10, "urgent", skill=linux)
    assert run_day(TUESDAY_10 + timedelta(minutes=59), only=["extra_take_in_charge"])[
        "extra_take_in_charge"]["counts"] == {"alerts": 0}  # fmt: skip
    late = TUESDAY_10 + timedelta(minutes=61)
    assert run_day(late, only=["extra_take_in_charge"])["extra_take_in_charge"]["counts"] == {
        "alerts": 1
    }
    assert run_day(late, only=["extra_take_in_charge"])["extra_take_in_charge"]["counts"] == {
        "alerts": 0
    }
    alert = OutboundEmail.objects.get(template="extra_staff")
    assert alert.to_address == senior.email and intervention.ticket.code in alert.subject


def test_planned_work_is_booked_a_working_day_ahead_at_night(owner):
    friday_night = at(2026, 3, 13, 22, 0)
    with pytest.raises(ValidationError, match="giorno lavorativo"):
        ask(owner, FRIDAY_16, "planned", preferred_start=friday_night)
    with pytest.raises(ValidationError, match="notti e festivi"):
        ask(owner, FRIDAY_16, "planned", preferred_start=at(2026, 3, 16, 10, 0))
    with pytest.raises(ValidationError):
        ask(owner, FRIDAY_16, "planned", preferred_start=None)
    assert not Ticket.objects.exists()
    intervention = ask(owner, FRIDAY_16, "planned", preferred_start=at(2026, 3, 16, 22, 0),
                       preferred_notes="oppure martedì notte")  # fmt: skip
    assert intervention.preferred_notes == "oppure martedì notte"


def test_a_ticket_opened_from_the_ordinary_form_gets_its_intervention(owner):
    ticket = make_ticket(owner, "extra-contract", subject="Ottimizzare MySQL su srv1",
                         now=TUESDAY_10)  # fmt: skip
    assert Intervention.objects.get(ticket=ticket).request == "ordinary"


# --- Not possible -------------------------------------------------------------------------------


def test_not_possible_closes_with_no_charge_and_tells_the_client(owner, senior, linux):
    intervention = ask(owner, TUESDAY_10, skill=linux)
    actions.take_in_charge(intervention, senior, senior, TUESDAY_10)
    log(intervention, senior, TUESDAY_10 + timedelta(minutes=5), 20)
    actions.close_not_possible(intervention, senior, "Il software richiesto non è più "
                               "supportato su questa versione del sistema.", TUESDAY_10 +
                               timedelta(hours=1))  # fmt: skip
    intervention.refresh_from_db()
    assert intervention.outcome == "not_possible"
    assert intervention.ticket.status == Ticket.Status.CLOSED
    assert not Charge.objects.exists() and not intervention.billed_lines.exists()
    reply = intervention.ticket.messages.filter(kind=Message.Kind.STAFF).get()
    assert "non verrà addebitato nulla" in reply.body and "alternative" in reply.body
    assert mails_to(owner, "ticket_reply").count() == 1
    with pytest.raises(ValidationError):
        log(intervention, senior, TUESDAY_10 + timedelta(hours=2), 10)


# --- Billing on close ----------------------------------------------------------------------------


def test_closing_bills_the_time_on_the_next_invoice(owner, senior):
    intervention = ask(owner, TUESDAY_10, "urgent")
    actions.take_in_charge(intervention, senior, senior, TUESDAY_10 + timedelta(minutes=30))
    log(intervention, senior, TUESDAY_10 + timedelta(minutes=40), 70)
    assert actions.running_charge(intervention).total == Decimal("153.00")
    close(intervention, senior, TUESDAY_10 + timedelta(hours=3))
    assert intervention.outcome == "billed"
    charge = Charge.objects.get()
    assert charge.amount == Decimal("153.00") and charge.invoice_line is None
    assert intervention.ticket.code in charge.description
    assert "3 × 30 min" in charge.description and "urgenza" in charge.description
    assert not Invoice.objects.exists()
    assert intervention.entries.get().billed_line.charge == charge


def test_closing_can_invoice_at_once(owner, senior):
    ExtraSettings.objects.update_or_create(pk=1, defaults={"invoicing": "now"})
    intervention = ask(owner, TUESDAY_10, "urgent")
    actions.take_in_charge(intervention, senior, senior, TUESDAY_10)
    log(intervention, senior, TUESDAY_10 + timedelta(minutes=10), 70)
    close(intervention, senior, TUESDAY_10 + timedelta(hours=2))
    invoice = Invoice.objects.get()
    assert invoice.status == Invoice.Status.OPEN
    assert invoice.net_total == Decimal("153.00") and invoice.vat_total == Decimal("33.66")
    line = invoice.lines.get()
    assert "diritto fisso di urgenza" in line.description.lower()


def test_urgent_fee_once_and_sessions_of_a_level_add_up(owner, senior, helpdesk):
    intervention = ask(owner, TUESDAY_10, "urgent")
    actions.take_in_charge(intervention, senior, senior, TUESDAY_10)
    log(intervention, senior, TUESDAY_10 + timedelta(minutes=10), 20)
    log(intervention, senior, TUESDAY_10 + timedelta(hours=2), 20)
    # 40 minutes of senior work: two slices and one urgent fee.
    assert actions.running_charge(intervention).total == Decimal("84.00") + Decimal("27.00")


def test_reopened_ticket_bills_only_the_new_time_without_a_second_fee(owner, senior):
    intervention = ask(owner, TUESDAY_10, "urgent")
    actions.take_in_charge(intervention, senior, senior, TUESDAY_10)
    log(intervention, senior, TUESDAY_10 + timedelta(minutes=10), 30)
    close(intervention, senior, TUESDAY_10 + timedelta(hours=1))
    helpdesk.reply_as_client(intervention.ticket, owner.owner, "Il problema è tornato.",
                             TUESDAY_10 + timedelta(hours=2))  # fmt: skip
    intervention.refresh_from_db()
    assert intervention.is_active
    log(intervention, senior, TUESDAY_10 + timedelta(hours=3), 15)
    close(intervention, senior, TUESDAY_10 + timedelta(hours=4))
    assert sorted(Charge.objects.values_list("amount", flat=True)) == [
        Decimal("42.00"), Decimal("69.00")
    ]  # fmt: skip


# --- Quotes above the threshold ----------------------------------------------------------


def planned_with_quote(owner, senior):
    intervention = ask(owner, FRIDAY_16, "planned", preferred_start=at(2026, 3, 17, 22, 0))
    actions.take_in_charge(intervention, senior, senior, FRIDAY_16)
    return actions.estimate(intervention, senior, level="senior", start=at(2026, 3, 17, 22, 0),
                            minutes=180, now=FRIDAY_16)  # fmt: skip


def test_small_estimate_needs_no_quote(owner, senior):
    intervention = ask(owner, TUESDAY_10)
    actions.take_in_charge(intervention, senior, senior, TUESDAY_10)
    intervention = actions.estimate(intervention, senior, level="junior", start=TUESDAY_10,
                                    minutes=90, now=TUESDAY_10)  # fmt: skip
    assert intervention.quote is None and intervention.estimate["total"] == "81.00"
    assert mails_to(owner, "extra_estimate").count() == 1


def test_estimate_above_250_is_a_quote_and_work_waits(owner, senior):
    intervention = planned_with_quote(owner, senior)
    quote = intervention.quote
    assert intervention.estimate["total"] == "313.00"
    assert quote.status == Quote.Status.SENT and quote.net_total == Decimal("313.00")
    assert quote.deposit_percent == 0
    mail = mails_to(owner, "extra_estimate").get()
    assert "approv" in mail.body_text and "313,00" in mail.body_text
    with pytest.raises(ValidationError, match="non ha ancora approvato"):
        log(intervention, senior, at(2026, 3, 17, 22, 0), 60)


def test_approved_quote_bills_the_time_worked(owner, senior):
    intervention = planned_with_quote(owner, senior)
    actions.decide_quote(intervention, owner.owner, True, at(2026, 3, 14, 9, 0))
    intervention.refresh_from_db()
    assert intervention.quote.status == Quote.Status.ACCEPTED
    assert intervention.quote.deposit_invoice is None  # no deposit: billed on the time
    log(intervention, senior, at(2026, 3, 17, 22, 0), 190)
    close(intervention, senior, at(2026, 3, 18, 9, 0))
    assert Charge.objects.get().amount == Decimal("396.00")  # 230 + 2 × 83
    intervention.quote.refresh_from_db()
    assert intervention.quote.status == Quote.Status.DELIVERED


def test_refused_quote_bills_the_logged_time_capped(owner, senior):
    intervention = ask(owner, TUESDAY_10)
    actions.take_in_charge(intervention, senior, senior, TUESDAY_10)
    # Analysis before the estimate: 4 hours of senior work, €336.
    log(intervention, senior, TUESDAY_10 + timedelta(minutes=5), 240)
    intervention = actions.estimate(intervention, senior, level="senior", start=TUESDAY_10,
                                    minutes=600, now=TUESDAY_10 + timedelta(hours=5))  # fmt: skip
    actions.decide_quote(intervention, owner.owner, False, TUESDAY_10 + timedelta(hours=6))
    intervention.refresh_from_db()
    assert intervention.quote.status == Quote.Status.DECLINED
    with pytest.raises(ValidationError, match="rifiutato"):
        log(intervention, senior, TUESDAY_10 + timedelta(hours=7), 30)
    assert OutboundEmail.objects.filter(template="extra_staff", to_address=senior.email).exists()
    close(intervention, senior, TUESDAY_10 + timedelta(hours=7))
    amounts = sorted(Charge.objects.values_list("amount", flat=True))
    assert amounts == [Decimal("-86.00"), Decimal("336.00")]
    assert sum(amounts) == Decimal("250.00")


def test_refused_quote_below_the_cap_bills_everything(owner, senior):
    intervention = planned_with_quote(owner, senior)
    actions.decide_quote(intervention, owner.owner, False, at(2026, 3, 14, 9, 0))
    close(intervention, senior, at(2026, 3, 14, 10, 0))
    assert intervention.outcome == "free" and not Charge.objects.exists()


def test_a_quote_is_answered_once(owner, senior):
    intervention = planned_with_quote(owner, senior)
    actions.decide_quote(intervention, owner.owner, True, at(2026, 3, 14, 9, 0))
    with pytest.raises(ValidationError):
        actions.decide_quote(intervention, owner.owner, False, at(2026, 3, 14, 9, 5))


def test_quote_balance_job_and_button_leave_extra_quotes_alone(owner, senior):
    from sportello.billing.actions import invoice_quote_balance

    intervention = planned_with_quote(owner, senior)
    actions.decide_quote(intervention, owner.owner, True, at(2026, 3, 14, 9, 0))
    result = run_day(at(2026, 12, 1, 6, 0), only=["quote_balances"])
    assert result["quote_balances"]["counts"] == {"balance_invoices": 0}
    with pytest.raises(ValidationError):
        invoice_quote_balance(intervention.quote, at(2026, 12, 1, 6, 0), delivered=True)
    assert not Invoice.objects.exists()


# --- Entitlements (EXT-8, SRV-10) ---------------------------------------------------------


def reboot_for(owner, server, senior, when):
    intervention = ask(owner, when, "reboot", service=server, subject="Riavviare srv1 bloccato")
    actions.take_in_charge(intervention, senior, senior, when)
    log(intervention, senior, when + timedelta(minutes=10), 10, kind="reboot", level="junior")
    return intervention


def test_basic_plan_reboot_in_office_hours_is_free_and_due_within_the_hour(owner, server,
                                                                            senior):  # fmt: skip
    attach_plan(owner, server, "basic")
    intervention = reboot_for(owner, server, senior, TUESDAY_10)
    assert intervention.take_in_charge_due == TUESDAY_10 + timedelta(hours=1)
    charges = actions.running_charge(intervention)
    assert charges.total == 0 and "incluso" in charges.covered[0][1]
    close(intervention, senior, TUESDAY_10 + timedelta(hours=1))
    assert intervention.outcome == "free" and not Charge.objects.exists()


def test_basic_plan_reboot_after_17_30_is_on_duty_help(owner, server, senior):
    attach_plan(owner, server, "basic")
    intervention = reboot_for(owner, server, senior, at(2026, 3, 10, 17, 40))
    assert actions.running_charge(intervention).total == Decimal("27.00")


def test_reboot_without_a_plan_is_billed(owner, server, senior):
    intervention = reboot_for(owner, server, senior, TUESDAY_10)
    # Simple help, not a systems engineer's urgent work: no urgent fee.
    assert actions.running_charge(intervention).total == Decimal("27.00")


def test_a_plan_on_another_server_does_not_cover_this_one(owner, server, senior):
    from sportello.testing import make_service

    other = make_service(owner, server.product, name="srv2.olga.example")
    attach_plan(owner, other, "basic")
    intervention = reboot_for(owner, server, senior, TUESDAY_10)
    assert not actions.running_charge(intervention).covered


def test_global_plan_soft_hours_maintenance_is_free_and_tickets_are_h24(owner, server, senior):
    attach_plan(owner, server, "global")
    night = at(2026, 3, 10, 23, 0)
    intervention = ask(owner, at(2026, 3, 9, 10, 0), "planned", service=server,
                       preferred_start=night)  # fmt: skip
    ticket = intervention.ticket
    assert ticket.round_the_clock and ticket.priority == "high"
    actions.take_in_charge(intervention, senior, senior, at(2026, 3, 9, 11, 0))
    log(intervention, senior, night, 90, kind="maintenance")
    assert actions.running_charge(intervention).total == 0
    # The same maintenance in ordinary hours is not the plan's soft-hours maintenance.
    log(intervention, senior, at(2026, 3, 11, 10, 0), 30, kind="maintenance")
    assert actions.running_charge(intervention).total == Decimal("42.00")


def test_migration_help_by_farm_staff_is_free_in_business_hours(owner, server, senior):
    intervention = ask(owner, TUESDAY_10, service=server, subject="Switch IP migrazione srv1")
    actions.take_in_charge(intervention, senior, senior, TUESDAY_10)
    log(intervention, senior, TUESDAY_10 + timedelta(minutes=10), 60, kind="migration")
    charges = actions.running_charge(intervention)
    assert charges.total == 0 and "migrazione" in charges.covered[0][1]
    log(intervention, senior, at(2026, 3, 10, 19, 0), 30, kind="migration")
    assert actions.running_charge(intervention).total == Decimal("75.00") + Decimal("63.00")


# --- Time entries ---------------------------------------------------------------------------------


def test_time_is_logged_after_taking_in_charge_and_never_in_the_future(owner, senior):
    intervention = ask(owner, TUESDAY_10)
    with pytest.raises(ValidationError, match="in carico"):
        log(intervention, senior, TUESDAY_10, 30)
    actions.take_in_charge(intervention, senior, senior, TUESDAY_10)
    with pytest.raises(ValidationError, match="futuro"):
        actions.log_time(intervention, senior, technician=senior, level="senior", kind="work",
                         start=TUESDAY_10, end=TUESDAY_10 + timedelta(hours=2),
                         now=TUESDAY_10 + timedelta(hours=1))  # fmt: skip
    entry = log(intervention, senior, TUESDAY_10, 30)
    actions.delete_entry(entry, senior, TUESDAY_10 + timedelta(hours=1))
    assert not intervention.entries.exists()


def test_only_extra_tickets_get_an_intervention(owner):
    ticket = make_ticket(owner, "hosting", now=TUESDAY_10)
    assert not Intervention.objects.filter(ticket=ticket).exists()
    assert Category.objects.get(code="extra-contract").kind == "extra"
