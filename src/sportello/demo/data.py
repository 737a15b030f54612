"""A provider set up as in the seed documents, with clients at every stage.

Everything is keyed by a natural key (code, email), so running it again changes nothing.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from sportello.accounts.models import Client, Consent, Tier, User
from sportello.catalog.models import Price, Product, ProductType, SupportPlanRule
from sportello.core.models import Provider
from sportello.einvoice.models import RecipientProfile
from sportello.helpdesk.models import Department
from sportello.services.models import Service

DEMO_PASSWORD = "sportello-demo"
# Staff TOTP secret of the demo, so a provider can add it to an authenticator app and log in.
DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXP"
# The demo provider's logo, printed on its invoices.
DEMO_LOGO = Path(__file__).resolve().parent / "static" / "demo" / "logo.svg"

T = ProductType
PRODUCTS = [
    # code, name, type, yearly net price, renewal, fixed (month, day), support level
    ("hosting-basic", "Hosting Basic Illimitato", T.HOSTING, "49.00", "tacit", None, ""),
    ("hosting-pro", "Hosting Pro", T.HOSTING, "99.00", "tacit", None, ""),
    ("hosting-wordpress", "Hosting WordPress", T.HOSTING, "79.00", "tacit", None, ""),
    ("hosting-fracto", "Fracto", T.HOSTING, "149.00", "tacit", None, ""),
    ("domain-it", "Dominio .it", T.DOMAIN, "12.00", "tacit", None, ""),
    ("domain-eu", "Dominio .eu", T.DOMAIN, "12.00", "tacit", None, ""),
    ("domain-com", "Dominio .com", T.DOMAIN, "15.00", "tacit", None, ""),
    ("domain-be", "Dominio .be", T.DOMAIN, "14.00", "confirm", None, ""),
    ("mailbox", "Casella di posta", T.MAILBOX, "18.00", "tacit", None, ""),
    ("pec", "PEC", T.PEC, "9.00", "tacit", None, ""),
    ("cloud-mail", "CronusMail", T.CLOUD_MAIL, "36.00", "tacit", None, ""),
    ("smtp-relay", "Server SMTP", T.SMTP_RELAY, "60.00", "tacit", None, ""),
    ("vps", "CronusVPS", T.VPS, "240.00", "tacit", None, ""),
    ("dedicated", "Server dedicato", T.DEDICATED, "1200.00", "tacit", None, ""),
    ("colocation", "Colocation 1U", T.COLOCATION, "900.00", "tacit", None, ""),
    ("ssl-dv", "Certificato SSL DV", T.SSL, "39.00", "confirm", None, ""),
    ("showcase", "Vetrina aziendale", T.SHOWCASE, "120.00", "tacit", (12, 31), ""),
    ("banner", "Banner pubblicitario", T.BANNER, "80.00", "tacit", (12, 31), ""),
    ("support-basic", "Assistenza basic", T.SUPPORT_PLAN, "0.00", "tacit", None, "basic"),
    ("support-extended", "Assistenza estesa", T.SUPPORT_PLAN, "300.00", "tacit", None, "extended"),
    ("support-managed", "Assistenza managed", T.SUPPORT_PLAN, "900.00", "tacit", None, "managed"),
    ("support-global", "Assistenza global", T.SUPPORT_PLAN, "1500.00", "tacit", None, "global"),
]

# The products' names for clients reading English and Spanish.
PRODUCT_NAMES = {
    "hosting-basic": ("Hosting Basic Unlimited", "Hosting Basic Ilimitado"),
    "domain-it": (".it domain", "Dominio .it"),
    "domain-eu": (".eu domain", "Dominio .eu"),
    "domain-com": (".com domain", "Dominio .com"),
    "domain-be": (".be domain", "Dominio .be"),
    "mailbox": ("Mailbox", "Buzón de correo"),
    "pec": ("Certified email (PEC)", "Correo certificado (PEC)"),
    "smtp-relay": ("SMTP server", "Servidor SMTP"),
    "dedicated": ("Dedicated server", "Servidor dedicado"),
    "ssl-dv": ("DV SSL certificate", "Certificado SSL DV"),
    "showcase": ("Business showcase", "Escaparate de empresa"),
    "banner": ("Advertising banner", "Banner publicitario"),
    "support-basic": ("Basic support", "Asistencia básica"),
    "support-extended": ("Extended support", "Asistencia ampliada"),
    "support-managed": ("Managed support", "Asistencia gestionada"),
    "support-global": ("Global support", "Asistencia global"),
}

# Seed 003: where each support plan applies (server type, Linux only).
PLAN_RULES = {
    "support-basic": [(T.DEDICATED, False), (T.COLOCATION, False), (T.VPS, False)],
    "support-extended": [(T.DEDICATED, False), (T.COLOCATION, False), (T.VPS, False)],
    "support-managed": [(T.DEDICATED, True)],
    "support-global": [(T.DEDICATED, True), (T.VPS, True)],
}

TIERS = [
    # code, name, help desk, default, instructions
    ("standard", "Standard", True, True, ""),
    ("gold", "GOLD", True, False, ""),
    (
        "web",
        "Web",
        False,
        False,
        "L'Help Desk è riservato ai clienti GOLD: contattaci via e-mail o telefono per "
        "passare a GOLD e ricevere le credenziali.",
    ),
]


STAFF = [
    # email, role, departments, first name
    ("admin@sportello.example", User.Role.ADMIN, ["helpdesk", "sales"], "Anna"),
    ("billing@sportello.example", User.Role.BILLING, ["sales"], "Bruno"),
    ("agent@sportello.example", User.Role.AGENT, ["helpdesk"], "Carla"),
    ("sales@sportello.example", User.Role.AGENT, ["sales"], "Dario"),
]


@dataclass
class DemoClient:
    email: str
    name: str
    language: str
    country: str
    tier: str
    kind: str = Client.Kind.PERSON
    company: str = ""
    vat: str = ""
    fiscal: str = ""
    city: str = ""
    domain: str = ""
    # The full address an invoice carries (Art. 21 DPR 633/72).
    address: str = ""
    postcode: str = ""
    province: str = ""


CLIENTS = [
    DemoClient(
        "mario.rossi@example.it",
        "Mario Rossi",
        "it",
        "IT",
        "standard",
        fiscal="RSSMRA85T10A562S",
        city="Milano",
        domain="rossi-impianti.it",
        address="Via Torino 12",
        postcode="20123",
        province="MI",
    ),
    DemoClient(
        "info@ferramentabianchi.example",
        "Luca Bianchi",
        "it",
        "IT",
        "gold",
        kind=Client.Kind.COMPANY,
        company="Ferramenta Bianchi S.r.l.",
        vat="IT00743110157",
        city="Bergamo",
        address="Via XX Settembre 45",
        postcode="24122",
        province="BG",
        # Their contact address is on a domain they host with us: the panel warns (ACC-6).
        domain="ferramentabianchi.example",
    ),
    DemoClient(
        "jane.smith@example.com",
        "Jane Smith",
        "en",
        "IE",
        "standard",
        city="Dublin",
        address="14 Baggot Street Lower",
        postcode="D02 X658",
        domain="smithdesign.eu",
    ),
    DemoClient(
        "lucia.garcia@example.es",
        "Lucía García",
        "es",
        "ES",
        "gold",
        fiscal="12345678Z",
        city="Madrid",
        address="Calle de Alcalá 120",
        postcode="28009",
        province="Madrid",
        domain="garcia-abogados.eu",
    ),
    DemoClient(
        "paola.verdi@example.it",
        "Paola Verdi",
        "it",
        "IT",
        "web",
        fiscal="VRDPLA80A41L219L",
        city="Torino",
        address="Corso Francia 8",
        postcode="10143",
        province="TO",
        domain="verdi-fiori.it",
    ),
]


def seed_provider() -> None:
    provider = Provider.current()
    if not provider.legal_name:
        provider.name = "Sportello Hosting"
        provider.legal_name = "Sportello Hosting S.r.l."
        provider.address = "Via Roma 1, 20121 Milano (MI), Italia"
        provider.vat_number = "IT00743110157"
        provider.website = "https://sportello.example"
        provider.save()
    for code, name, helpdesk, default, instructions in TIERS:
        Tier.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "helpdesk_access": helpdesk,
                "is_default": default,
                "access_instructions": instructions,
            },
        )


def seed_catalog() -> None:
    for code, name, type_, price, renewal, fixed, level in PRODUCTS:
        product, _ = Product.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "name_en": PRODUCT_NAMES.get(code, ("", ""))[0],
                "name_es": PRODUCT_NAMES.get(code, ("", ""))[1],
                "type": type_,
                "renewal_policy": renewal,
                "fixed_renewal_month": fixed[0] if fixed else None,
                "fixed_renewal_day": fixed[1] if fixed else None,
                "support_level": level,
            },
        )
        Price.objects.update_or_create(
            product=product, cycle_months=12, defaults={"amount": Decimal(price)}
        )
    for code, rules in PLAN_RULES.items():
        plan = Product.objects.get(code=code)
        for server_type, linux_only in rules:
            SupportPlanRule.objects.update_or_create(
                plan=plan, server_type=server_type, defaults={"linux_only": linux_only}
            )


def _login(email: str, language: str, password_hash: str, **fields) -> User:
    user, created = User.objects.get_or_create(
        email=email, defaults={"language": language, "password": password_hash, **fields}
    )
    EmailAddress.objects.get_or_create(
        user=user, email=email, defaults={"verified": True, "primary": True}
    )
    return user


def seed_staff(password_hash: str) -> None:
    departments = {d.code: d for d in Department.objects.all()}
    for email, role, department_codes, first_name in STAFF:
        user = _login(email, "it", password_hash, role=role, first_name=first_name)
        user.departments.set([departments[c] for c in department_codes])
        if not Authenticator.objects.filter(user=user).exists():
            TOTP.activate(user, DEMO_TOTP_SECRET)


def _service(client, code, name, registered_on, status=Service.Status.ACTIVE, **extra):
    product = Product.objects.get(code=code)
    existing = Service.objects.filter(client=client, product=product, name=name).first()
    if existing:
        return existing
    return Service.objects.create(
        client=client,
        product=product,
        name=name,
        status=status,
        registered_on=registered_on,
        expires_on=product.expiry_for(registered_on),
        renewal_policy=product.renewal_policy,
        price=product.prices.get(cycle_months=12).amount,
        **extra,
    )


def seed_clients(today: date, password_hash: str) -> None:
    tiers = {t.code: t for t in Tier.objects.all()}
    year_ago = today - relativedelta(years=1)
    for demo in CLIENTS:
        user = _login(demo.email, demo.language, password_hash, first_name=demo.name.split()[0])
        client, _ = Client.objects.get_or_create(
            owner=user,
            defaults={
                "name": demo.name,
                "kind": demo.kind,
                "company_name": demo.company,
                "vat_number": demo.vat,
                "fiscal_code": demo.fiscal,
                "country": demo.country,
                "city": demo.city,
                "address": demo.address,
                "postcode": demo.postcode,
                "province": demo.province,
                "tier": tiers[demo.tier],
            },
        )
        # Every demo client signed up accepting the documents in force.
        versions = {Consent.Document.TERMS: settings.TERMS_VERSION,
                    Consent.Document.PRIVACY: settings.PRIVACY_VERSION}  # fmt: skip
        for document, version in versions.items():
            Consent.objects.get_or_create(
                user=user, document=document, version=version,
                defaults={"client": client, "accepted_at": timezone.make_aware(
                    datetime.combine(year_ago, time(10)))},
            )  # fmt: skip
        domain = demo.domain
        slug = domain.rsplit(".", 1)[0]
        # A stage of life for each service, relative to today.
        tld = "it" if demo.country == "IT" else "eu"
        # Expires in ten days.
        _service(client, f"domain-{tld}", f"{slug}.{tld}", year_ago + timedelta(days=10))
        _service(client, "hosting-basic", domain, year_ago + timedelta(days=10))
        _service(client, "mailbox", f"info@{domain}", today - timedelta(days=3))  # new
        _service(
            client,
            "ssl-dv",
            f"www.{domain}",
            year_ago - timedelta(days=5),
            status=Service.Status.EXPIRED,
        )
        _unpaid(client, "domain-com", f"{slug}.com", year_ago - timedelta(days=20))
    lucia = Client.objects.get(owner__email="lucia.garcia@example.es")
    _unpaid(lucia, "hosting-basic", "tiendalucia.es", year_ago - timedelta(days=5))
    bianchi = Client.objects.get(owner__email="info@ferramentabianchi.example")
    # An Italian company receives its e-invoices through the SdI: its recipient code.
    RecipientProfile.objects.get_or_create(client=bianchi, defaults={"recipient_code": "M5UXCR1"})
    server = _service(
        bianchi,
        "dedicated",
        "srv1.ferramentabianchi.example",
        today - timedelta(days=200),
        operating_system="linux",
        ip_address="192.0.2.10",
    )
    _service(
        bianchi,
        "support-global",
        "Assistenza global srv1",
        today - timedelta(days=200),
        parent=server,
    )
    _service(bianchi, "showcase", "Vetrina Ferramenta Bianchi", today - timedelta(days=40))
    _service(bianchi, "domain-be", "ferramentabianchi.be", year_ago + timedelta(days=50))


def _unpaid(client, code, name, registered_on):
    """A service past its expiry whose renewal invoice was never paid, as the daily jobs
    leave it: a domain on hold, anything else suspended, with the invoice that would bring
    it back."""
    from sportello.services.provisioning import ask_staff
    from sportello.services.renewals import invoice_renewals

    service = _service(client, code, name, registered_on)
    if service.status == Service.Status.ACTIVE and not service.renewals.exists():
        lead = 60 if service.product.type == ProductType.DOMAIN else 10
        issued = timezone.make_aware(
            datetime.combine(service.expires_on - timedelta(days=lead), time(9))
        )
        invoice_renewals(client, [service], issued)
        blocked = (
            Service.Status.ON_HOLD
            if service.product.type == ProductType.DOMAIN
            else Service.Status.SUSPENDED
        )
        Service.objects.filter(pk=service.pk).update(status=blocked)
        ask_staff([service.pk], blocked, timezone.localdate())


def seed_volume(count: int, today: date, password_hash: str, batch: int = 1000) -> int:
    """`count` extra clients with three services each, for benchmarks; returns how many
    were created (the ones already there are kept)."""
    tier = Tier.objects.get(code="standard")
    products = {
        p.code: p
        for p in Product.objects.filter(code__in=["domain-it", "hosting-basic", "mailbox"])
    }
    prices = {p.product_id: p.amount for p in Price.objects.filter(product__in=products.values())}
    existing = set(
        User.objects.filter(email__endswith="@volume.example").values_list("email", flat=True)
    )
    wanted = [f"client{i:06d}@volume.example" for i in range(1, count + 1)]
    missing = [email for email in wanted if email not in existing]
    for start in range(0, len(missing), batch):
        chunk = missing[start : start + batch]
        with transaction.atomic():
            users = User.objects.bulk_create(
                [User(email=e, password=password_hash, language="it") for e in chunk]
            )
            EmailAddress.objects.bulk_create(
                [EmailAddress(user=u, email=u.email, verified=True, primary=True) for u in users]
            )
            clients = Client.objects.bulk_create(
                [Client(owner=u, name=f"Cliente {u.email[6:12]}", tier=tier) for u in users]
            )
            services = []
            for n, client in enumerate(clients):
                registered = today - timedelta(days=(start + n) % 365)
                domain = f"cliente{client.pk}.it"
                for code, name in (
                    ("domain-it", domain),
                    ("hosting-basic", domain),
                    ("mailbox", f"info@{domain}"),
                ):
                    product = products[code]
                    services.append(
                        Service(
                            client=client,
                            product=product,
                            name=name,
                            registered_on=registered,
                            expires_on=product.expiry_for(registered),
                            renewal_policy=product.renewal_policy,
                            price=prices[product.pk],
                        )
                    )
            Service.objects.bulk_create(services)
    return len(missing)


@transaction.atomic
def seed_demo(today: date) -> None:
    password_hash = make_password(DEMO_PASSWORD)
    seed_provider()
    seed_catalog()
    seed_staff(password_hash)
    seed_clients(today, password_hash)
    seed_billing(today)
    seed_helpdesk(today)
    from sportello.servers.demo import seed_servers

    seed_servers(today)
    seed_knowledge_base(today)


def seed_knowledge_base(today: date) -> None:
    from datetime import datetime, time

    from django.utils import timezone

    from sportello.kb.starter import seed_knowledge_base as seed

    seed(timezone.make_aware(datetime.combine(today, time.min)))
    from sportello.extra.demo import seed_extra

    seed_extra(today)


def seed_billing(today: date) -> None:
    """Invoices at every stage: to pay, overdue, paid, with credit; a quote to accept; a
    payment reported by a client. Only for clients that have no invoice yet."""
    from sportello.billing import actions
    from sportello.billing.actions import Line
    from sportello.billing.models import BillingSettings, Coupon, Quote, QuoteLine
    from sportello.billing.pricing import line_net
    from sportello.services.renewals import renewal_line

    letterhead = BillingSettings.current()
    if not letterhead.logo:
        letterhead.company_register = "REA MI-1234567"
        letterhead.share_capital = Decimal("10000.00")
        letterhead.logo.save("sportello.svg", ContentFile(DEMO_LOGO.read_bytes()), save=False)
        letterhead.save()
    # An announced promotion, on the dashboard and on the hosting renewals it applies to.
    promotion, _new = Coupon.objects.get_or_create(
        code="RINNOVO10",
        defaults={
            "kind": Coupon.Kind.PERCENT, "value": Decimal("10"), "valid_from": today,
            "valid_to": today + timedelta(days=90), "announced": True, "renewals": True,
            "description": "Rinnovo hosting scontato del 10%",
            "description_en": "10% off your hosting renewal",
            "description_es": "Renovación del hosting con un 10% de descuento",
        },
    )  # fmt: skip
    promotion.products.set(Product.objects.filter(type=T.HOSTING))

    def at(day):
        return timezone.make_aware(datetime.combine(day, time(10, 0)))

    def client(email):
        found = Client.objects.get(owner__email=email)
        return None if found.invoices.exists() else found

    if mario := client("mario.rossi@example.it"):
        hosting = mario.services.get(product__code="hosting-basic")
        actions.create_invoice(
            mario,
            [renewal_line(hosting, hosting.expires_on + relativedelta(years=1))],
            at(today - timedelta(days=2)),
            send=False,
            purpose="renewal",
        )
        overdue = actions.create_invoice(
            mario,
            [Line("Riattivazione servizi", Decimal("20.00"))],
            at(today - timedelta(days=40)),
            send=False,
        )
        actions.report_payment(
            mario,
            overdue,
            {
                "bank": "Intesa Sanpaolo",
                "branch": "Milano 12",
                "paid_on": today - timedelta(days=1),
                "receipt_number": "CRO 0042",
                "amount": Decimal("24.40"),
            },
            at(today),
        )
    if bianchi := client("info@ferramentabianchi.example"):
        paid = actions.create_invoice(
            bianchi,
            [
                Line("Server dedicato", Decimal("1200.00")),
                Line("Assistenza global", Decimal("1500.00")),
            ],
            at(today - timedelta(days=60)),
            send=False,
        )
        actions.record_payment(
            bianchi,
            Decimal("3350.00"),
            today - timedelta(days=50),
            invoice=paid,
            reference="Bonifico",
        )  # 56.00 more: credit
        quote = Quote.objects.create(
            client=bianchi,
            title="Nuovo sito e-commerce",
            deposit_percent=Decimal("30"),
            valid_until=today + timedelta(days=30),
        )
        for description, quantity, price in [
            ("Progetto grafico", 1, "900.00"),
            ("Pagine prodotto", 20, "35.00"),
        ]:
            QuoteLine.objects.create(
                quote=quote,
                description=description,
                quantity=quantity,
                unit_price=Decimal(price),
                net=line_net(Decimal(quantity), Decimal(price)),
            )
        actions.send_quote(quote)
    if lucia := client("lucia.garcia@example.es"):
        actions.create_invoice(
            lucia,
            [
                renewal_line(domain, domain.expires_on + relativedelta(years=1))
                for domain in lucia.services.filter(product__code="domain-eu")[:1]
            ]
            or [Line("Dominio .eu", Decimal("12.00"))],
            at(today - timedelta(days=30)),
            send=False,
        )


CANNED_REPLIES = [
    ("it", "Riavvio eseguito", "Gentile {client},\nabbiamo riavviato il servizio {service}: "
     "ora risponde regolarmente. Se il problema si ripresenta, rispondi a questo ticket."
     "\n\n{agent}"),
    ("en", "Service restarted", "Dear {client},\nwe have restarted {service}: it answers "
     "normally again. If the problem comes back, reply to this ticket.\n\n{agent}"),
    ("es", "Servicio reiniciado", "Estimado/a {client}:\nhemos reiniciado {service}: ya "
     "responde con normalidad. Si el problema vuelve, responda a este ticket.\n\n{agent}"),
]  # fmt: skip


def seed_helpdesk(today: date) -> None:
    """A few tickets in different states, and canned replies in the three languages."""
    from sportello.helpdesk import actions as helpdesk
    from sportello.helpdesk.models import CannedReply, Category

    for language, title, body in CANNED_REPLIES:
        CannedReply.objects.get_or_create(language=language, title=title, defaults={"body": body})
    if Category.objects.filter(tickets__isnull=False).exists():
        return
    morning = timezone.make_aware(datetime.combine(today, time(9, 40)))
    agent = User.objects.get(email="agent@sportello.example")
    mario = Client.objects.get(owner__email="mario.rossi@example.it")
    mailbox = mario.services.filter(product__type="mailbox").first()
    assert mailbox is not None  # seeded with Mario's services
    ticket = helpdesk.open_ticket(
        mario,
        category=Category.objects.get(code="email"),
        service=mailbox,
        subject=f"La posta per {mailbox.name} torna indietro",
        body="Da ieri chi mi scrive riceve un errore di consegna.",
        details={"mailboxes": mailbox.name, "direction": "ricezione", "where": "entrambi",
                 "error_type": "mailbox full", "samples": "da anna@example.com, ieri 18:02"},
        now=morning - timedelta(days=1),
    )  # fmt: skip
    helpdesk.reply_as_staff(
        ticket,
        agent,
        "Buongiorno, la casella ha superato la quota. Vuoi che la ampliamo o preferisci "
        "svuotarla? Intanto ti mandiamo la guida per archiviare la posta.",
        morning,
        then="waiting",
    )
    helpdesk.open_ticket(
        mario,
        category=Category.objects.get(code="commercial-info"),
        subject="Quanto costa passare a Hosting Pro?",
        body="Vorrei più spazio per il sito e due caselle in più.",
        now=morning,
    )
    bianchi = Client.objects.get(owner__email="info@ferramentabianchi.example")
    # An Italian company receives its e-invoices through the SdI: its recipient code.
    RecipientProfile.objects.get_or_create(client=bianchi, defaults={"recipient_code": "M5UXCR1"})
    helpdesk.open_ticket(
        bianchi,
        category=Category.objects.get(code="outage"),
        service=bianchi.services.filter(product__type="dedicated").first(),
        subject="Server srv1 non risponde su HTTPS",
        body="Il sito di e-commerce dà timeout da 10 minuti.",
        details={"since": "09:30", "affected": "https://shop.ferramentabianchi.example"},
        now=morning,
    )
    jane = Client.objects.get(owner__email="jane.smith@example.com")
    closed = helpdesk.open_ticket(
        jane,
        category=Category.objects.get(code="dns"),
        service=jane.services.filter(product__type="domain").first(),
        subject="Add an MX record for the new mail provider",
        body="Please point MX to mx.newmail.example, priority 10.",
        now=morning - timedelta(days=3),
    )
    helpdesk.reply_as_staff(
        closed, agent, "Done: the MX record is live.", morning - timedelta(days=2), then="closed"
    )
