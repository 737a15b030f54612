from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from sportello.demo import data as demo


class Command(BaseCommand):
    help = "Load a demo provider (products, tiers, departments, staff, clients). Idempotent."

    def add_arguments(self, parser):
        parser.add_argument(
            "--clients", type=int, default=0, help="also make this many volume clients"
        )

    def handle(self, *args, clients: int, **options):
        if clients < 0:
            raise CommandError(f"--clients must be zero or more, not {clients}")
        today = timezone.localdate()
        demo.seed_demo(today)
        if clients:
            made = demo.seed_volume(clients, today, make_password(demo.DEMO_PASSWORD))
            self.stdout.write(f"{made} volume clients created ({clients - made} already there).")
        self.stdout.write(
            self.style.SUCCESS(f"Demo data ready. Logins (password: {demo.DEMO_PASSWORD}):")
        )
        for email, role, _departments, _name in demo.STAFF:
            self.stdout.write(f"  staff  {email:40} {role}")
        for client in demo.CLIENTS:
            self.stdout.write(f"  client {client.email:40} {client.language}")
        self.stdout.write(
            f"Staff two-factor login: add the TOTP secret {demo.DEMO_TOTP_SECRET} "
            "to an authenticator app."
        )
