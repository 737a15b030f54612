"""The client downloads a year's invoices as one ZIP and the statement of account as CSV
and PDF; another client's years are not theirs to download."""

import csv
import io
import zipfile
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from sportello.billing import account_statement, actions

pytestmark = pytest.mark.django_db
ROME = ZoneInfo("Europe/Rome")


def invoice(client, amount, when):
    lines = [actions.Line("Hosting Pro", Decimal(amount))]
    return actions.create_invoice(client, lines, when, send=False)


@pytest.fixture
def history(owner):
    """2025: one invoice, paid in 2026. 2026: an invoice half paid, one credited by a
    note."""
    first = invoice(owner, "100.00", datetime(2025, 12, 10, 10, tzinfo=ROME))
    actions.record_payment(owner, first.total, date(2026, 1, 5), invoice=first)
    second = invoice(owner, "200.00", datetime(2026, 3, 1, 10, tzinfo=ROME))
    actions.record_payment(owner, Decimal("100.00"), date(2026, 3, 10), invoice=second)
    third = invoice(owner, "50.00", datetime(2026, 4, 1, 10, tzinfo=ROME))
    actions.issue_credit_note(third, datetime(2026, 4, 2, 10, tzinfo=ROME), reason="Error")
    return first, second, third


def test_the_statement_balances_debits_credits_and_the_opening(owner, history):
    first, second, third = history
    opening, rows = account_statement.rows(owner, 2026)
    assert opening == first.total  # invoiced in 2025, paid in 2026
    assert rows[-1].balance == second.total - Decimal("100.00")
    assert [r.day for r in rows] == sorted(r.day for r in rows)
    assert account_statement.years(owner) == [2026, 2025]


def test_csv_pdf_and_zip_downloads(client, owner, history):
    client.force_login(owner.owner)
    response = client.get(reverse("portal:statement_csv", args=[2026]))
    assert response["Content-Type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(table) == 2 + 5  # header, opening, 2 invoices, 1 note, 2 payments
    assert table[1][5] == str(history[0].total)

    response = client.get(reverse("portal:statement_pdf", args=[2026]))
    assert response.content.startswith(b"%PDF")

    response = client.get(reverse("portal:invoices_zip", args=[2026]))
    assert response["Content-Type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(response.content)).namelist()
    assert len(names) == 3 and all(n.endswith(".pdf") for n in names)
    assert any(n.startswith("NC-") for n in names)

    page = client.get(reverse("portal:invoices")).content.decode()
    assert reverse("portal:invoices_zip", args=[2025]) in page
    assert reverse("portal:statement_pdf", args=[2026]) in page


def test_other_years_and_other_clients_are_404(client, other_client, owner, history):
    client.force_login(other_client.owner)
    for name in ("portal:statement_csv", "portal:statement_pdf", "portal:invoices_zip"):
        assert client.get(reverse(name, args=[2026])).status_code == 404
    client.force_login(owner.owner)
    assert client.get(reverse("portal:statement_csv", args=[1999])).status_code == 404
    assert client.get(reverse("portal:invoices_zip", args=[2024])).status_code == 404
    for name in ("portal:statement_csv", "portal:statement_pdf", "portal:invoices_zip"):
        assert client.get(reverse(name, args=[10**20])).status_code == 404
