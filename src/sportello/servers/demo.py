"""Demo data of the server pages: a migration under way on the GOLD client's server, and a
basic-plan server whose monitoring watches the demo's own web server."""

from datetime import date, datetime, time, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone

from sportello.accounts.models import Client
from sportello.catalog.models import Product
from sportello.core.calendar import same_or_next_working_day
from sportello.services.models import Service

from . import actions
from .models import Migration, Monitor


def seed_servers(today: date) -> None:
    bianchi = Client.objects.get(owner__email="info@ferramentabianchi.example")
    server = bianchi.services.get(name="srv1.ferramentabianchi.example")
    if not Migration.objects.filter(server=server).exists():
        opened = today - timedelta(days=3)
        switch_day = same_or_next_working_day(opened + timedelta(days=20))
        actions.open_migration(
            server,
            timezone.make_aware(datetime.combine(switch_day, time(10, 0))),
            timezone.make_aware(datetime.combine(opened, time(9, 0))),
            reason="Hardware a fine vita: passaggio a un server di nuova generazione",
        )
    mario = Client.objects.get(owner__email="mario.rossi@example.it")
    name = "srv.rossi-impianti.it"
    if not mario.services.filter(name=name).exists():
        dedicated = Product.objects.get(code="dedicated")
        registered = today - timedelta(days=90)
        rossi_server = Service.objects.create(
            client=mario,
            product=dedicated,
            name=name,
            registered_on=registered,
            expires_on=dedicated.expiry_for(registered),
            renewal_policy=dedicated.renewal_policy,
            price=dedicated.prices.get(cycle_months=12).amount,
            operating_system="linux",
            ip_address="127.0.0.1",
        )
        basic = Product.objects.get(code="support-basic")
        Service.objects.create(
            client=mario,
            product=basic,
            name=f"Assistenza basic {name}",
            registered_on=registered,
            expires_on=basic.expiry_for(registered),
            renewal_policy=basic.renewal_policy,
            price=basic.prices.get(cycle_months=12).amount,
            parent=rossi_server,
        )
        actions.activate_monitor(
            rossi_server,
            kind=Monitor.Kind.HTTP,
            # The demo server is this machine: watch the port Sportello itself answers on.
            url=f"http://127.0.0.1:{urlsplit(settings.SITE_URL).port or 80}/cookies/",
            expected_status=200,
            now=timezone.now(),
        )
