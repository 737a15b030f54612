"""Issue COUNT invoices for CLIENT_ID as fast as possible: one of several processes
racing for invoice numbers (used by the concurrency test and bench/billing.py)."""

import os
import sys


def main(client_id: int, count: int) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sportello.settings")
    import django

    django.setup()
    from decimal import Decimal

    from django.utils import timezone

    from sportello.accounts.models import Client
    from sportello.billing.actions import Line, create_invoice

    client = Client.objects.get(pk=client_id)
    for _ in range(count):
        create_invoice(client, [Line("Hosting", Decimal("10.00"))], timezone.now(), send=False)


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]))
