"""Every page of the site as the tests that walk them see it: the URL patterns read from the
resolver, one object of each kind owned by a client (the world), the path arguments each
pattern takes, and the personas that request them."""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from sportello import testing
from sportello.accounts.actions import news_unsubscribe_url
from sportello.accounts.models import AccountContact, SignedInSession
from sportello.api import actions as api
from sportello.api.models import WebhookDelivery, WebhookEndpoint
from sportello.billing import actions as billing
from sportello.billing.models import (
    BankEntry,
    PaymentReport,
    Quote,
    QuoteLine,
    StatementImport,
)
from sportello.catalog.models import ProductType
from sportello.einvoice.models import EInvoice
from sportello.extra import actions as extra
from sportello.extra.models import Skill
from sportello.helpdesk import actions as helpdesk
from sportello.helpdesk.models import Attachment, CannedReply
from sportello.kb.models import Article, ArticleTranslation, NewsItem, NewsTranslation
from sportello.kb.models import Category as KbCategory
from sportello.mail.actions import queue_to_client
from sportello.mail.models import InboundMessage
from sportello.orders.models import Order
from sportello.payments.models import Checkout, SavedMethod, WebhookEvent
from sportello.privacy import archive as privacy
from sportello.privacy.models import DataRequest
from sportello.provisioning.models import Operation, Server
from sportello.servers import actions as servers
from sportello.servers.models import Migration, ServerSettings
from sportello.servers.timeline import plan_dates


@dataclass(frozen=True)
class Page:
    route: str  # as the resolver writes it: "panel/invoices/<int:pk>/"
    name: str  # "portal:invoice"
    callback: object
    arguments: tuple[str, ...]  # the names of its path arguments

    @property
    def area(self) -> str:
        if self.route.startswith("panel/"):
            return "panel"
        if self.route.startswith("desk/"):
            return "desk"
        if self.route.startswith("admin/"):
            return "admin"
        if self.route.startswith("accounts/"):
            return "accounts"
        return "public"

    @property
    def post_only(self) -> bool:
        """Answers GET with 405 (require_POST), wherever the decorator sits."""
        view: Any = self.callback
        while view is not None:
            code = getattr(view, "__code__", None)
            if code and "request_method_list" in code.co_freevars:
                cell = view.__closure__[code.co_freevars.index("request_method_list")]
                if list(cell.cell_contents) == ["POST"]:
                    return True
            view = getattr(view, "__wrapped__", None)
        return False


def _walk(patterns, prefix="", namespace=None):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = namespace
            if pattern.namespace:
                inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}:{pattern.name}" if namespace and pattern.name else pattern.name
            arguments = tuple(pattern.pattern.regex.groupindex)
            yield Page(prefix + str(pattern.pattern), name or "", pattern.callback, arguments)


def site_pages() -> list[Page]:
    """Every named page the product serves, the admin's own patterns aside (the admin is
    walked through its registry instead)."""
    return [page for page in _walk(get_resolver().url_patterns) if page.area != "admin"]


def admin_pages(administrator) -> list[tuple[str, bool]]:
    """The admin's index, and each registered model's list and add page, each with whether
    an administrator may open it: a model whose rows only the product writes (the audit
    log, issued invoices, settings rows) has no add page."""
    request = RequestFactory().get("/admin/")
    request.user = administrator
    pages = [(reverse("admin:index"), True)]
    for model, model_admin in admin.site._registry.items():
        name = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        pages.append((reverse(f"{name}_changelist"), True))
        pages.append((reverse(f"{name}_add"), model_admin.has_add_permission(request)))
    return pages


# --- the world ------------------------------------------------------------------------------


class World:
    """Client A's objects, one of each kind a page shows, and client B, who owns nothing
    of them; staff of each role."""

    def __init__(self):
        now = timezone.now()
        helpdesk_department = testing.make_department("helpdesk", "Helpdesk")
        self.client_a = testing.make_client("client-a@example.org", name="Anna A")
        self.client_b = testing.make_client("client-b@example.org", name="Bruno B")
        self.agent = testing.make_staff(
            testing.User.Role.AGENT, departments=[helpdesk_department], email="agent@example.org"
        )
        self.billing_clerk = testing.make_staff(
            testing.User.Role.BILLING, email="billing@example.org"
        )
        self.admin = testing.make_staff(testing.User.Role.ADMIN, email="admin@example.org")
        self.pending = testing.make_staff(testing.User.Role.ADMIN, email="pending@example.org")

        a = self.client_a
        self.service = testing.make_service(a)
        self.server = self._server(a)
        settings = ServerSettings.current()
        self.migration = Migration.objects.create(
            server=self.server,
            client=a,
            opened_on=timezone.localdate(now),
            switch_at=now + timedelta(days=20),
            **plan_dates(timezone.localdate(now), settings),
        )
        self.monitor = servers.activate_monitor(self.server, kind="tcp", port=22, now=now)
        self.email = queue_to_client(a, "welcome")
        self.news_token = news_unsubscribe_url(a).rstrip("/").rsplit("/", 1)[1]
        self.invoice = billing.create_invoice(
            a, [billing.Line("Hosting", Decimal("100.00"))], now, send=False
        )
        # Its e-invoice, frozen when it was numbered, with a file to download.
        self.einvoice = EInvoice.objects.get(invoice=self.invoice)
        self.einvoice.filename = "IT01234560017_00001.xml"
        self.einvoice.xml = '<?xml version="1.0"?><FatturaElettronica versione="FPR12"/>'
        self.einvoice.status = EInvoice.Status.TO_SEND
        self.einvoice.save()
        self.report = PaymentReport.objects.create(
            client=a,
            invoice=self.invoice,
            review_on=timezone.localdate(now),
            amount=Decimal("122.00"),
            bank="Banca",
            paid_on=timezone.localdate(now),
            receipt_number="CRO-1",
        )
        self.quote = Quote.objects.create(client=a, title="Sito nuovo", status=Quote.Status.SENT)
        QuoteLine.objects.create(
            quote=self.quote,
            description="Sviluppo",
            unit_price=Decimal("1000.00"),
            net=Decimal("1000.00"),
        )
        statement = StatementImport.objects.create(filename="s.xml", format="camt", sha256="0")
        self.bank_entry = BankEntry.objects.create(
            statement=statement,
            account="IT60X0542811101000000123456",
            entry_id="E1",
            booking_date=timezone.localdate(now),
            amount=Decimal("122.00"),
            currency="EUR",
            status=BankEntry.Status.SUGGESTED,
            invoice=self.invoice,
        )
        self.ticket = testing.make_ticket(
            a, attachments=[SimpleUploadedFile("log.txt", b"errore 500")]
        )
        self.attachment = Attachment.objects.get(message__ticket=self.ticket)
        self.held = helpdesk.hold_request(self.ticket, self.agent, "Cambio password", now)
        self.saved_filter = helpdesk.save_filter(self.agent, "Urgenti", {"priority": "high"})
        # A's accountant on the account, another browser of A's, A's data ready to download
        # and A's request of erasure waiting for staff.
        self.account_contact = AccountContact.objects.create(
            client=a, name="Studio", email="studio@example.org", billing=True
        )
        self.signed_in = SignedInSession.objects.create(
            user=a.owner, session_key="world-elsewhere", created_at=now
        )
        self.data_export = DataRequest.objects.create(
            client=a, kind=DataRequest.Kind.EXPORT, status=DataRequest.Status.READY,
            requested_at=now, completed_at=now, expires_at=now + timedelta(days=7),
            archive=f"world-{a.pk}.zip",
        )  # fmt: skip
        privacy.archive_path(self.data_export).write_bytes(b"PK\x05\x06" + bytes(18))
        self.erasure = DataRequest.objects.create(
            client=a, kind=DataRequest.Kind.ERASURE, requested_at=now
        )
        CannedReply.objects.create(title="Grazie", body="Grazie {client}", language="it")
        self.intervention = extra.request_intervention(
            a,
            request="ordinary",
            subject="Configurare il firewall",
            body="Aprire la porta 8443.",
            skill=Skill.objects.get(code="linux"),
            now=now,
        )
        self.inbound = InboundMessage.objects.create(
            received_at=now,
            channel=InboundMessage.Channel.SMTP,
            recipient="hd@sportello.example",
            dedup_key="<junk@example.org>",
            raw=b"From: x@example.org\r\nSubject: ciao\r\n\r\nciao",
            status=InboundMessage.Status.QUARANTINED,
        )
        self.kb_category = KbCategory.objects.create(slug="general", name="Generale")
        self.article = Article.objects.create(slug="dns", category=self.kb_category)
        ArticleTranslation.objects.create(
            article=self.article,
            language="it",
            title="Configurare il DNS",
            body="Il **DNS** si configura così.",
            status=ArticleTranslation.Status.PUBLISHED,
            published_at=now,
        )
        self.news = NewsItem.objects.create(publish_at=now - timedelta(hours=1))
        NewsTranslation.objects.create(news=self.news, language="it", title="Novità", body="Sì.")
        self.api_token, _raw = api.create_token(
            a.owner, client=a, name="A's script", scopes=["tickets:read"], now=now
        )
        self.staff_token, _raw = api.create_token(
            self.admin, name="Accounting", scopes=["invoices:read"], now=now
        )
        # An order of A's waiting for payment; a module's operation that failed on A's service.
        self.order = Order.objects.create(client=a, invoice=None)
        self.operation = Operation.objects.create(
            service=self.service, server=Server.objects.create(name="whm", module="cpanel"),
            action=Operation.Action.SUSPEND, key="world", status=Operation.Status.FAILED,
            error="WHM suspendacct: refused",
        )  # fmt: skip
        # An online payment of the invoice that went nowhere, a saved card, a provider event.
        self.checkout = Checkout.objects.create(
            client=a, provider="stripe", mode="test", method="card", amount=Decimal("122.00"),
            charged_amount=Decimal("122.00"), status=Checkout.Status.FAILED,
        )  # fmt: skip
        self.saved_method = SavedMethod.objects.create(
            client=a, provider="stripe", mode="test", method="card", token="pm_world",
            label="Visa ···· 4242",
        )  # fmt: skip
        self.payment_event = WebhookEvent.objects.create(
            provider="stripe", event_id="evt_world", type="payment_intent.succeeded",
            payload={"id": "evt_world"}, received_at=now, status=WebhookEvent.Status.IGNORED,
        )  # fmt: skip
        self.endpoint = WebhookEndpoint.objects.create(
            url="https://hooks.example.org/sportello",
            events=["invoice.paid"],
            secret=api.new_secret(),
        )
        self.delivery = WebhookDelivery.objects.create(
            endpoint=self.endpoint, message_id="msg_1", event="invoice.paid",
            object_key=f"invoice:{self.invoice.pk}", payload={"type": "invoice.paid"},
            next_attempt_at=now, created_at=now,
        )  # fmt: skip

    @staticmethod
    def _server(client):
        dedicated = testing.make_product("dedicated-a", ProductType.DEDICATED, "1200.00")
        server = testing.make_service(
            client, dedicated, name="srv1.a.example", operating_system="linux",
            ip_address="192.0.2.10",
        )  # fmt: skip
        plan = testing.make_support_plan("basic", [(ProductType.DEDICATED, False)])
        testing.make_service(client, plan, name="basic srv1.a.example", parent=server)
        return server

    def path_arguments(self) -> dict:
        """URL name → the path arguments naming this world's objects. A pattern missing
        here fails the walks: a new page with arguments says which object it shows."""
        code = self.ticket.code
        return {
            "servers:migration": {"pk": self.server.pk},
            "servers:monitoring": {"pk": self.server.pk},
            "portal:service": {"pk": self.service.pk},
            "portal:service_panel": {"pk": self.service.pk},
            "portal:service_sso": {"pk": self.service.pk},
            "portal:service_nameservers": {"pk": self.service.pk},
            "portal:service_lock": {"pk": self.service.pk},
            "portal:service_auth_code": {"pk": self.service.pk},
            "portal:service_zone": {"pk": self.service.pk},
            "portal:service_plan": {"pk": self.service.pk},
            "portal:mail": {"pk": self.email.pk},
            "portal:news_unsubscribe": {"token": self.news_token},
            "portal:invoice": {"pk": self.invoice.pk},
            "portal:contact_remove": {"pk": self.account_contact.pk},
            "portal:session_end": {"pk": self.signed_in.pk},
            "portal:privacy_download": {"pk": self.data_export.pk},
            "desk:data_request": {"pk": self.erasure.pk},
            "portal:invoices_zip": {"year": self.invoice.numbered_on.year},
            "portal:statement_csv": {"year": self.invoice.numbered_on.year},
            "portal:statement_pdf": {"year": self.invoice.numbered_on.year},
            "portal:invoice_pdf": {"pk": self.invoice.pk},
            "portal:report_payment": {"pk": self.invoice.pk},
            "portal:apply_credit": {"pk": self.invoice.pk},
            "portal:apply_coupon": {"pk": self.invoice.pk},
            "portal:einvoice_xml": {"pk": self.invoice.pk},
            "portal:quote": {"pk": self.quote.pk},
            "portal:accept_quote": {"pk": self.quote.pk},
            "portal:ticket": {"code": code},
            "portal:ticket_close": {"code": code},
            "portal:ticket_rate": {"code": code},
            "portal:decide_request": {"code": code, "pk": self.held.pk},
            "portal:ticket_attachment": {"code": code, "pk": self.attachment.pk},
            "servers_desk:server": {"pk": self.server.pk},
            "desk:client": {"pk": self.client_a.pk},
            "desk:client_edit": {"pk": self.client_a.pk},
            "desk:inbound": {"pk": self.inbound.pk},
            "desk:inbound_release": {"pk": self.inbound.pk},
            "desk:inbound_delete": {"pk": self.inbound.pk},
            "desk:inbound_raw": {"pk": self.inbound.pk},
            "desk:ticket": {"code": code},
            "desk:ticket_presence": {"code": code},
            "desk:ticket_draft": {"code": code},
            "desk:ticket_updates": {"code": code},
            "desk:ticket_next": {"code": code},
            "desk:ticket_previous": {"code": code},
            "desk:queue_filter_delete": {"pk": self.saved_filter.pk},
            "desk:ticket_attachment": {"code": code, "pk": self.attachment.pk},
            "desk:record_cancellation": {"pk": self.service.pk},
            "desk:stop_renewal": {"pk": self.service.pk},
            "desk:service_suspend": {"pk": self.service.pk},
            "desk:service_unsuspend": {"pk": self.service.pk},
            "desk:service_terminate": {"pk": self.service.pk},
            "desk:invoice": {"pk": self.invoice.pk},
            "desk:invoice_pdf": {"pk": self.invoice.pk},
            "desk:statement_entry_match": {"pk": self.bank_entry.pk},
            "desk:statement_entry_credit": {"pk": self.bank_entry.pk},
            "desk:statement_entry_dismiss": {"pk": self.bank_entry.pk},
            "desk:statement_entry_restore": {"pk": self.bank_entry.pk},
            "desk:payment_report_review": {"pk": self.report.pk},
            "desk:quote": {"pk": self.quote.pk},
            "desk:client_ledger": {"pk": self.client_a.pk},
            "desk:einvoice": {"pk": self.einvoice.pk},
            "desk:einvoice_xml": {"pk": self.einvoice.pk},
            "desk:order": {"pk": self.order.pk},
            "desk:provisioning_operation": {"pk": self.operation.pk},
            "portal:checkout_return": {"pk": self.checkout.pk},
            "portal:checkout_cancel": {"pk": self.checkout.pk},
            "portal:payment_method_remove": {"pk": self.saved_method.pk},
            "portal:payment_method_default": {"pk": self.saved_method.pk},
            "desk:payment_event": {"pk": self.payment_event.pk},
            "desk:payment_refund": {"pk": self.checkout.pk},
            "desk:config_list": {"section": "canned"},
            "desk:config_new": {"section": "canned"},
            "desk:config_edit": {"section": "departments", "pk": self.ticket.department_id},
            "desk:config_delete": {"section": "departments", "pk": self.ticket.department_id},
            "desk:job_history": {"name": "ticket_auto_close"},
            "desk:job_run_now": {"name": "ticket_auto_close"},
            "desk:impersonate_start": {"pk": self.client_a.pk},
            "payments:webhook": {"provider": "stripe"},
            "kb_desk:category": {"pk": self.kb_category.pk},
            "kb_desk:article": {"pk": self.article.pk},
            "kb_desk:translation": {"pk": self.article.pk, "language": "it"},
            "kb_desk:news_edit": {"pk": self.news.pk},
            "kb:article": {"slug": self.article.slug},
            "kb:vote": {"slug": self.article.slug},
            "kb:article_in": {"slug": self.article.slug, "language": "it"},
            "kb:news_feed": {"language": "it"},
            "kb:news_item": {"pk": self.news.pk},
            "kb:news_item_in": {"pk": self.news.pk, "language": "it"},
            "extra:quote": {"code": self.intervention.ticket.code},
            "extra:desk_action": {"code": self.intervention.ticket.code, "action": "take"},
            "api:revoke": {"pk": self.api_token.pk},
            "api_desk:revoke": {"pk": self.staff_token.pk},
            "api_desk:webhook": {"pk": self.endpoint.pk},
            "api_desk:delivery": {"pk": self.delivery.pk},
            "api-v1:get_client": {"client_id": self.client_a.pk},
            "api-v1:get_service": {"service_id": self.service.pk},
            "api-v1:cancel_service": {"service_id": self.service.pk},
            "api-v1:suspend_service": {"service_id": self.service.pk},
            "api-v1:unsuspend_service": {"service_id": self.service.pk},
            "api-v1:terminate_service": {"service_id": self.service.pk},
            "api-v1:get_invoice": {"invoice_id": self.invoice.pk},
            "api-v1:invoice_pdf_download": {"invoice_id": self.invoice.pk},
            "api-v1:issue_invoice": {"invoice_id": self.invoice.pk},
            "api-v1:credit_invoice": {"invoice_id": self.invoice.pk},
            "api-v1:record_payment": {"invoice_id": self.invoice.pk},
            # Without a token every API call is refused before any lookup.
            "api-v1:get_payment": {"payment_id": 1},
            "api-v1:einvoice_download": {"invoice_id": self.invoice.pk},
            "api-v1:get_quote": {"quote_id": self.quote.pk},
            "api-v1:send_quote": {"quote_id": self.quote.pk},
            "api-v1:accept_quote": {"quote_id": self.quote.pk},
            "api-v1:get_ticket": {"code": code},
            "api-v1:get_attachment": {"code": code, "attachment_id": self.attachment.pk},
            "api-v1:reply": {"code": code},
            "api-v1:add_note": {"code": code},
            "api-v1:assign": {"code": code},
            "api-v1:close": {"code": code},
            "api-v1:attach": {"code": code},
            "api-v1:get_article": {"slug": self.article.slug, "language": "it"},
            "account_confirm_email": {"key": "junk-key"},
            "account_reset_password_from_key": {"uidb36": "zz", "key": "junk-key"},
            "staff_enrol": {"uidb64": "zz", "token": "junk-token"},
        }


# Path arguments that name nothing: a page answers 404 (or refuses), never 500.
NOWHERE = {
    "pk": 2**63 - 1,
    "year": 9999,
    "code": "ZZZ-000-00000",
    "slug": "no-such-article",
    "language": "xx",
    "action": "take",
    "key": "zz",
    "uidb36": "zz",
    "uidb64": "zz",
    "token": "zz",
    "client_id": 2**63 - 1,
    "service_id": 2**63 - 1,
    "invoice_id": 2**63 - 1,
    "payment_id": 2**63 - 1,
    "quote_id": 2**63 - 1,
    "attachment_id": 2**63 - 1,
    "provider": "nowhere",
    "name": "no-such-job",
    "section": "no-such-section",
}
HUGE_ID = 10**30  # more than either database stores
