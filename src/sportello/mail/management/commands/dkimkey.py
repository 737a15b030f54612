from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from sportello.mail.backends import public_key_record, signing_domain


class Command(BaseCommand):
    help = "Create the DKIM key outgoing mail is signed with, and print the DNS record."

    def handle(self, *args, **options):
        path = Path(settings.DKIM_PRIVATE_KEY_FILE)
        if path.exists():
            raise CommandError(f"{path} exists already: remove it first to make a new key")
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.TraditionalOpenSSL,
                serialization.NoEncryption(),
            )
        )
        path.chmod(0o600)
        domain, selector = signing_domain()
        self.stdout.write(f'{selector}._domainkey.{domain} TXT "{public_key_record()}"')
