from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from sportello import testing
from sportello.accounts.models import Client, User
from sportello.api import actions, scopes
from sportello.billing import actions as billing
from sportello.billing.models import Invoice, Payment, Quote, QuoteLine
from sportello.einvoice.models import EInvoice
from sportello.helpdesk.models import Attachment, Ticket
from sportello.kb.models import Article, ArticleTranslation
from sportello.kb.models import Category as KbCategory
from sportello.services.models import Service


@dataclass
class ApiWorld:
    client_a: Client
    client_b: Client
    admin: User
    billing_clerk: User
    agent: User
    service: Service
    invoice: Invoice
    draft: Invoice
    payment: Payment
    quote: Quote
    ticket: Ticket
    attachment: Attachment
    article: Article

    def token(self, user: User, *, client: Client | None = None, scopes_: list[str] | None = None,
              **options) -> str:  # fmt: skip
        allowed = scopes.allowed_for(user, client)
        _token, raw = actions.create_token(
            user, client=client, name="test", scopes=scopes_ or allowed, now=timezone.now(),
            **options,
        )  # fmt: skip
        return raw


def make_world() -> ApiWorld:
    now = timezone.now()
    department = testing.make_department("helpdesk", "Helpdesk")
    a = testing.make_client("api-a@example.org", name="Anna A")
    b = testing.make_client("api-b@example.org", name="Bruno B", language="en")
    admin = testing.make_staff(User.Role.ADMIN, email="api-admin@example.org")
    clerk = testing.make_staff(User.Role.BILLING, email="api-billing@example.org")
    agent = testing.make_staff(User.Role.AGENT, departments=[department],
                               email="api-agent@example.org")  # fmt: skip
    service = testing.make_service(a, name="anna.example")
    testing.make_service(b, name="bruno.example")
    invoice = billing.create_invoice(a, [billing.Line("Hosting", Decimal("100.00"))], now,
                                     send=False)  # fmt: skip
    EInvoice.objects.filter(invoice=invoice).update(
        filename="IT01234560017_00001.xml", status=EInvoice.Status.TO_SEND,
        xml='<?xml version="1.0"?><FatturaElettronica versione="FPR12"/>',
    )  # fmt: skip
    billing.create_invoice(b, [billing.Line("Hosting", Decimal("50.00"))], now, send=False)
    draft = billing.draft_invoice(a, [billing.Line("Extra", Decimal("10.00"))], now)
    payment = billing.record_payment(a, Decimal("10.00"), date.today(), invoice=invoice)
    quote = Quote.objects.create(client=a, title="Sito nuovo", status=Quote.Status.SENT)
    QuoteLine.objects.create(quote=quote, description="Sviluppo", unit_price=Decimal("1000.00"),
                             net=Decimal("1000.00"))  # fmt: skip
    ticket = testing.make_ticket(a, attachments=[SimpleUploadedFile("log.txt", b"errore 500")])
    testing.make_ticket(b, subject="Posta che non arriva da ieri")
    attachment = Attachment.objects.get(message__ticket=ticket)
    category = KbCategory.objects.create(slug="general", name="Generale")
    article = Article.objects.create(slug="dns", category=category)
    ArticleTranslation.objects.create(
        article=article, language="it", title="Configurare il DNS", body="Il **DNS**.",
        status=ArticleTranslation.Status.PUBLISHED, published_at=now - timedelta(hours=1),
    )  # fmt: skip
    return ApiWorld(a, b, admin, clerk, agent, service, invoice, draft, payment, quote, ticket,
                    attachment, article)  # fmt: skip


@pytest.fixture
def world(settings, tmp_path) -> ApiWorld:
    settings.MEDIA_ROOT = tmp_path
    settings.API_RATE_LIMIT = 10_000
    return make_world()
