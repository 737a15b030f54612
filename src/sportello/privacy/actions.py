"""Requests under the GDPR: a copy of the data, prepared by a worker and linked by email;
erasure, carried out by staff, which anonymises what the law does not require us to keep
and holds the rest (invoices and payments) until its release date."""

from datetime import date, datetime

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from sportello.accounts import actions as accounts
from sportello.accounts.models import Client, User
from sportello.billing.models import BillingSettings, Invoice, Payment
from sportello.core import audit
from sportello.core.models import AuditEvent
from sportello.helpdesk.models import Attachment, Message, Ticket
from sportello.mail.models import OutboundEmail
from sportello.services.models import Service

from .archive import archive_path
from .models import DataRequest, LegalHold

Action = AuditEvent.Action
# Years invoices and payments are kept after their date, by the provider's country: Italy
# art. 2220 c.c. and DPR 600/73 (ten years); Spain, Código de Comercio art. 30 (six).
RETENTION_YEARS = {"IT": 10, "ES": 6}
ERASED = "—"


def _pending(client: Client, kind: str, now: datetime) -> DataRequest:
    try:
        with transaction.atomic():
            return DataRequest.objects.create(client=client, kind=kind, requested_at=now)
    except IntegrityError:
        raise ValidationError(_("A request of this kind is already in progress.")) from None


@transaction.atomic
def request_export(client: Client, now: datetime, *,
                   request: HttpRequest | None = None) -> DataRequest:  # fmt: skip
    """The worker prepares the archive; the client gets an email with the link."""
    data_request = _pending(client, DataRequest.Kind.EXPORT, now)
    audit.record(Action.DATA_EXPORT_REQUESTED, request=request, client=client)
    from .tasks import prepare_export_task

    pk = data_request.pk
    transaction.on_commit(lambda: prepare_export_task(pk))
    return data_request


# --- Erasure ---------------------------------------------------------------------------


@transaction.atomic
def request_erasure(client: Client, now: datetime, *,
                    request: HttpRequest | None = None) -> DataRequest:  # fmt: skip
    data_request = _pending(client, DataRequest.Kind.ERASURE, now)
    audit.record(Action.ERASURE_REQUESTED, request=request, client=client)
    return data_request


def erasure_blockers(client: Client) -> list[str]:
    """What must be settled before an account can be erased."""
    reasons = []
    if client.services.filter(status__in=Service.LIVE_STATUSES).exists():
        reasons.append(_("Some services are still active: they must be cancelled or ended."))
    if client.invoices.filter(status=Invoice.Status.OPEN).exists():
        reasons.append(_("Some invoices are still to pay."))
    return reasons


def retention_years() -> int:
    return RETENTION_YEARS.get(BillingSettings.current().home_country, 10)


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


@transaction.atomic
def carry_out_erasure(data_request: DataRequest, staff: User, now: datetime, *,
                      request: HttpRequest | None = None) -> int:  # fmt: skip
    """Anonymise the account; invoices and payments stay as they are, each held until
    its release date. Returns the number of records held."""
    data_request = DataRequest.objects.select_for_update().get(pk=data_request.pk)
    if (data_request.kind, data_request.status) != (
        DataRequest.Kind.ERASURE, DataRequest.Status.PENDING
    ):  # fmt: skip
        raise ValidationError(_("This request is not waiting to be carried out."))
    client = (
        Client.objects.select_for_update().select_related("owner").get(pk=data_request.client_id)
    )
    blockers = erasure_blockers(client)
    if blockers:
        raise ValidationError(blockers)
    years = retention_years()
    reason = _("Kept for %(years)s years by tax law") % {"years": years}
    holds = [
        LegalHold(client=client, what=LegalHold.What.INVOICE, object_id=pk, reason=reason,
                  release_on=_add_years(day or now.date(), years))
        for pk, day in client.invoices.exclude(status=Invoice.Status.DRAFT)
        .values_list("pk", "issued_on")
    ] + [
        LegalHold(client=client, what=LegalHold.What.PAYMENT, object_id=pk, reason=reason,
                  release_on=_add_years(day, years))
        for pk, day in client.payments.values_list("pk", "received_on")
    ]  # fmt: skip
    LegalHold.objects.bulk_create(holds, ignore_conflicts=True)
    client.invoices.filter(status=Invoice.Status.DRAFT).delete()
    _anonymise_account(client, now)
    data_request.status = DataRequest.Status.DONE
    data_request.completed_at = now
    data_request.handled_by = staff
    data_request.save()
    audit.record(
        Action.ERASURE_APPLIED, request=request, actor=staff, client=client,
        detail=f"{len(holds)} records held",
    )  # fmt: skip
    return len(holds)


def _anonymise_account(client: Client, now: datetime) -> None:
    owner = client.owner
    for session in owner.signed_in_sessions.all():
        accounts.end_session_key(session.session_key)
    owner.signed_in_sessions.all().delete()
    EmailAddress.objects.filter(user=owner).delete()
    Authenticator.objects.filter(user=owner).delete()
    owner.email = f"erased-{client.pk}@erased.invalid"
    owner.first_name = owner.last_name = ""
    owner.is_active = False
    owner.set_unusable_password()
    owner.save()
    Client.objects.filter(pk=client.pk).update(
        name=_("Erased client %(id)s") % {"id": client.pk}, company_name="", fiscal_code="",
        vat_number="", address="", postcode="", city="", province="", phone="",
        news_by_email=False,
    )  # fmt: skip
    client.contacts.all().delete()
    client.services.update(name=ERASED, ip_address=None)
    tickets = Ticket.objects.filter(client=client)
    for attachment in Attachment.objects.filter(message__ticket__in=tickets):
        attachment.file.delete(save=False)
    Attachment.objects.filter(message__ticket__in=tickets).delete()
    Message.objects.filter(ticket__in=tickets).update(body=ERASED, quoted="")
    tickets.update(subject=ERASED, details={})
    OutboundEmail.objects.filter(client=client).update(
        to_address=owner.email, subject=ERASED, body_text=ERASED, body_html=""
    )
    AuditEvent.objects.filter(client=client).update(ip_address=None, detail="")
    # What was accepted and when stays, as the audit rows do; where from does not.
    owner.consents.update(ip_address=None)
    for data_request in client.data_requests.exclude(archive=""):
        archive_path(data_request).unlink(missing_ok=True)
    client.data_requests.exclude(archive="").update(archive="")


@transaction.atomic
def refuse_erasure(data_request: DataRequest, staff: User, note: str, now: datetime) -> None:
    data_request = DataRequest.objects.select_for_update().get(pk=data_request.pk)
    if data_request.status != DataRequest.Status.PENDING:
        raise ValidationError(_("This request is not waiting to be carried out."))
    data_request.status = DataRequest.Status.REFUSED
    data_request.note = note.strip()
    data_request.handled_by = staff
    data_request.completed_at = now
    data_request.save()


def release_holds(now: datetime, dry_run: bool = False) -> int:
    """Holds whose release date has come: the invoice's or payment's personal data are
    blanked, and the hold is marked released; a second run finds nothing."""
    today = timezone.localdate(now)
    due = LegalHold.objects.filter(release_on__lte=today, released_at__isnull=True)
    if dry_run:
        return due.count()
    released = 0
    for hold in due.order_by("id"):
        with transaction.atomic():
            claimed = LegalHold.objects.filter(pk=hold.pk, released_at__isnull=True).update(
                released_at=now
            )
            if not claimed:
                continue
            if hold.what == LegalHold.What.INVOICE:
                Invoice.objects.filter(pk=hold.object_id).update(
                    billing_name=ERASED, billing_address="", billing_vat_number="",
                    billing_fiscal_code="",
                )  # fmt: skip
            else:
                Payment.objects.filter(pk=hold.object_id).update(
                    reference="", provider_reference=""
                )
            audit.record(
                Action.LEGAL_HOLD_RELEASED, client=hold.client,
                detail=f"{hold.what} {hold.object_id}",
            )  # fmt: skip
            released += 1
    return released
