from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.decorators import decorate_view

from sportello.accounts.models import Client
from sportello.billing import actions as billing
from sportello.billing.models import Invoice, Payment
from sportello.billing.pdf import invoice_pdf
from sportello.einvoice.models import EInvoice

from .. import scopes
from ..http import check_if_match, etag_of, need, paginate, staff_only, write
from .common import ID, LIMIT, MAX_ID, OPTIONAL_ID, file_response, own, page, page_of, responses

router = Router(tags=["invoices"])

MONEY = Field(..., gt=0, le=Decimal("99999999.99"), max_digits=10, decimal_places=2)


class InvoiceOut(Schema):
    id: int
    number: str
    kind: str
    purpose: str
    status: str
    client_id: int
    issued_on: date | None
    due_on: date | None
    paid_on: date | None
    currency: str
    net_total: Decimal
    vat_total: Decimal
    total: Decimal
    paid_total: Decimal
    credited_total: Decimal
    amount_due: Decimal
    payment_reference: str
    corrects_id: int | None

    @staticmethod
    def resolve_number(invoice: Invoice) -> str:
        return invoice.display_number


class LineOut(Schema):
    description: str
    quantity: Decimal
    unit_price: Decimal
    vat_rate: Decimal
    net: Decimal
    service_id: int | None
    period_start: date | None
    period_end: date | None


class InvoiceDetailOut(InvoiceOut):
    lines: list[LineOut]


class InvoiceFilters(Schema):
    client_id: int | None = OPTIONAL_ID
    status: str | None = None
    kind: str | None = None
    limit: int = LIMIT
    cursor: str | None = None
    ordering: Literal["id", "-id", "created_at", "-created_at"] = "-id"


ORDERINGS = {"id": "id", "created_at": "created_at"}


def _invoices(token: Any) -> Any:
    return own(Invoice.objects.all(), token)


def _detail(token: Any, invoice_id: int) -> Invoice:
    invoice: Invoice = _invoices(token).prefetch_related("lines").get(pk=invoice_id)
    return invoice


def _etag(invoice: Invoice) -> str:
    return etag_of(InvoiceDetailOut.from_orm(invoice).dict())


def _with_etag(invoice: Invoice, response: HttpResponse) -> Invoice:
    response["ETag"] = _etag(invoice)
    return invoice


@router.get("/invoices", response=responses(page_of(InvoiceOut)),
            openapi_extra={"x-scope": scopes.INVOICES_READ})  # fmt: skip
def list_invoices(request: HttpRequest, filters: Query[InvoiceFilters]) -> Any:
    token = need(request, scopes.INVOICES_READ)
    rows = _invoices(token)
    if filters.client_id is not None:
        rows = rows.filter(client_id=filters.client_id)
    if filters.status:
        rows = rows.filter(status=filters.status)
    if filters.kind:
        rows = rows.filter(kind=filters.kind)
    items, following = paginate(rows, limit=filters.limit, cursor=filters.cursor,
                                ordering=filters.ordering, allowed=ORDERINGS)  # fmt: skip
    return page(items, following)


@router.get("/invoices/{invoice_id}", response=responses(InvoiceDetailOut),
            openapi_extra={"x-scope": scopes.INVOICES_READ})  # fmt: skip
def get_invoice(
    request: HttpRequest, invoice_id: Annotated[int, ID], response: HttpResponse
) -> Any:
    """With an ETag: send it back as If-Match when issuing or crediting."""
    token = need(request, scopes.INVOICES_READ)
    return _with_etag(_detail(token, invoice_id), response)


@router.get("/invoices/{invoice_id}/pdf", response=responses(None),
            openapi_extra={"x-scope": scopes.INVOICES_READ,
                           **file_response("application/pdf", "The invoice as PDF")})  # fmt: skip
def invoice_pdf_download(request: HttpRequest, invoice_id: Annotated[int, ID]) -> Any:
    token = need(request, scopes.INVOICES_READ)
    invoice = _invoices(token).exclude(status=Invoice.Status.DRAFT).get(pk=invoice_id)
    response = HttpResponse(invoice_pdf(invoice), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{billing.pdf_filename(invoice)}"'
    return response


@router.get("/invoices/{invoice_id}/einvoice", response=responses(None),
            openapi_extra={"x-scope": scopes.INVOICES_READ,
                           **file_response("application/xml", "The e-invoice")})  # fmt: skip
def einvoice_download(request: HttpRequest, invoice_id: Annotated[int, ID]) -> Any:
    """The invoice's electronic document (FatturaPA XML), once prepared."""
    token = need(request, scopes.INVOICES_READ)
    einvoices = EInvoice.objects.exclude(xml="").filter(invoice__in=_invoices(token))
    if token.client_id is not None:
        einvoices = einvoices.exclude(status=EInvoice.Status.INTERNAL)
    einvoice = einvoices.get(invoice__pk=invoice_id)
    response = HttpResponse(einvoice.xml.encode(), content_type="application/xml")
    response["Content-Disposition"] = f'attachment; filename="{einvoice.filename}"'
    return response


class LineIn(Schema):
    description: str = Field(min_length=1, max_length=300)
    unit_price: Decimal = Field(..., ge=Decimal("-99999999.99"), le=Decimal("99999999.99"),
                                max_digits=10, decimal_places=2)  # fmt: skip
    quantity: Decimal = Field(Decimal(1), gt=0, le=Decimal("99999999.99"), max_digits=10,
                              decimal_places=2)  # fmt: skip


class InvoiceIn(Schema):
    client_id: int = Field(ge=1, le=MAX_ID)
    lines: list[LineIn] = Field(..., min_length=1, max_length=100)
    issue: bool = Field(False, description="Issue at once (else a draft).")
    send: bool = Field(True, description="Mail the issued invoice to the client.")


@router.post("/invoices", response=responses(InvoiceDetailOut, 201),
             openapi_extra={"x-scope": scopes.INVOICES_WRITE})  # fmt: skip
@decorate_view(write(idempotent=True))
def create_invoice(request: HttpRequest, data: InvoiceIn, response: HttpResponse) -> Any:
    """A draft (or, with `issue`, an issued invoice) for a client, priced as in the desk.
    Send an Idempotency-Key: the same key again answers the first invoice."""
    token = need(request, scopes.INVOICES_WRITE)
    staff_only(token)
    client = Client.objects.filter(pk=data.client_id).first()
    if client is None:
        raise ValidationError({"client_id": _("No such client.")})
    lines = [billing.Line(line.description, line.unit_price, line.quantity) for line in data.lines]
    now = timezone.now()
    invoice = billing.draft_invoice(client, lines, now)
    if data.issue:
        billing.issue_invoice(invoice, now, request=request, send=data.send)
    return Status(201, _with_etag(_detail(token, invoice.pk), response))


class IssueIn(Schema):
    send: bool = True


@router.post("/invoices/{invoice_id}/issue", response=responses(InvoiceDetailOut),
             openapi_extra={"x-scope": scopes.INVOICES_WRITE})  # fmt: skip
@decorate_view(write())
def issue_invoice(request: HttpRequest, invoice_id: Annotated[int, ID], data: IssueIn,
                  response: HttpResponse) -> Any:  # fmt: skip
    """Issue a draft (If-Match: the ETag read)."""
    token = need(request, scopes.INVOICES_WRITE)
    staff_only(token)
    invoice = _detail(token, invoice_id)
    check_if_match(request, _etag(invoice))
    billing.issue_invoice(invoice, timezone.now(), request=request, send=data.send)
    return _with_etag(_detail(token, invoice_id), response)


class CreditNoteIn(Schema):
    reason: str = Field(min_length=1, max_length=300)
    amount: Decimal | None = Field(
        None,
        gt=0,
        le=Decimal("99999999.99"),
        max_digits=10,
        decimal_places=2,
        description="Net to credit; all if absent.",
    )


@router.post("/invoices/{invoice_id}/credit-notes", response=responses(InvoiceDetailOut, 201),
             openapi_extra={"x-scope": scopes.INVOICES_WRITE})  # fmt: skip
@decorate_view(write(idempotent=True))
def credit_invoice(request: HttpRequest, invoice_id: Annotated[int, ID], data: CreditNoteIn,
                   response: HttpResponse) -> Any:  # fmt: skip
    """A credit note correcting an issued invoice (If-Match honoured)."""
    token = need(request, scopes.INVOICES_WRITE)
    staff_only(token)
    invoice = _detail(token, invoice_id)
    check_if_match(request, _etag(invoice))
    note = billing.issue_credit_note(invoice, timezone.now(), reason=data.reason,
                                     amount=data.amount, request=request)  # fmt: skip
    return Status(201, _with_etag(_detail(token, note.pk), response))


class PaymentOut(Schema):
    id: int
    client_id: int
    invoice_id: int | None
    method: str
    received_on: date
    amount: Decimal
    original_amount: Decimal
    original_currency: str
    applied_to_invoice: Decimal
    reference: str


class PaymentIn(Schema):
    amount: Decimal = MONEY
    received_on: date
    currency: str = Field("EUR", min_length=3, max_length=3)
    method: Literal[tuple(Payment.Method.values)] = Payment.Method.BANK_TRANSFER  # type: ignore[valid-type]
    reference: str = Field("", max_length=200)


@router.post("/invoices/{invoice_id}/payments", response=responses(PaymentOut, 201),
             openapi_extra={"x-scope": scopes.PAYMENTS_WRITE})  # fmt: skip
@decorate_view(write(idempotent=True))
def record_payment(request: HttpRequest, invoice_id: Annotated[int, ID], data: PaymentIn) -> Any:
    """A payment received for this invoice; what exceeds it becomes the client's credit.
    Send an Idempotency-Key: the same key again records nothing new."""
    token = need(request, scopes.PAYMENTS_WRITE)
    staff_only(token)
    invoice = _invoices(token).select_related("client").get(pk=invoice_id)
    if invoice.status == Invoice.Status.DRAFT:
        raise ValidationError(_("A draft cannot be paid: issue it first."))
    payment = billing.record_payment(
        invoice.client, data.amount, data.received_on, method=data.method,
        currency=data.currency.upper(), invoice=invoice, reference=data.reference,
        actor=token.user, request=request,
    )  # fmt: skip
    return Status(201, payment)


class PaymentFilters(Schema):
    client_id: int | None = OPTIONAL_ID
    invoice_id: int | None = OPTIONAL_ID
    limit: int = LIMIT
    cursor: str | None = None
    ordering: Literal["id", "-id", "received_on", "-received_on"] = "-id"


@router.get("/payments", response=responses(page_of(PaymentOut)), tags=["payments"],
            openapi_extra={"x-scope": scopes.PAYMENTS_READ})  # fmt: skip
def list_payments(request: HttpRequest, filters: Query[PaymentFilters]) -> Any:
    token = need(request, scopes.PAYMENTS_READ)
    rows = own(Payment.objects.all(), token)
    if filters.client_id is not None:
        rows = rows.filter(client_id=filters.client_id)
    if filters.invoice_id is not None:
        rows = rows.filter(invoice_id=filters.invoice_id)
    items, following = paginate(rows, limit=filters.limit, cursor=filters.cursor,
                                ordering=filters.ordering,
                                allowed={"id": "id", "received_on": "received_on"})  # fmt: skip
    return page(items, following)


@router.get("/payments/{payment_id}", response=responses(PaymentOut), tags=["payments"],
            openapi_extra={"x-scope": scopes.PAYMENTS_READ})  # fmt: skip
def get_payment(request: HttpRequest, payment_id: Annotated[int, ID]) -> Any:
    token = need(request, scopes.PAYMENTS_READ)
    return own(Payment.objects.all(), token).get(pk=payment_id)
