"""The report pages: who may open them, the period form, the CSV."""

import csv
import io
import re

import pytest
from django.urls import reverse

from sportello.reports.csvfile import as_csv, safe_cell
from sportello.reports.figures import Column, Figures
from sportello.reports.views import REPORTS
from sportello.testing import User, make_staff

pytestmark = pytest.mark.django_db

BILLING_REPORTS = ["revenue", "vat", "receivables", "renewals"]
HELPDESK_REPORTS = ["helpdesk", "kb"]


def signed_in(client, role, language="en"):
    staff = make_staff(role)
    staff.language = language
    staff.save()
    client.force_login(staff)
    return staff


def test_every_report_opens_for_an_administrator(client, books, today):
    signed_in(client, User.Role.ADMIN)
    for report in REPORTS:
        page = client.get(reverse(f"reports:{report.slug}"))
        assert page.status_code == 200, report.slug
        body = page.content.decode()
        assert '<svg class="chart"' in body and "<table" in body
        download = client.get(reverse(f"reports:{report.slug}_csv"))
        assert download.status_code == 200
        assert download["Content-Type"].startswith("text/csv")


def test_agents_see_only_the_help_desk_reports(client, books, today):
    signed_in(client, User.Role.AGENT)
    for slug in BILLING_REPORTS:
        assert client.get(reverse(f"reports:{slug}")).status_code == 403
        assert client.get(reverse(f"reports:{slug}_csv")).status_code == 403
    for slug in HELPDESK_REPORTS:
        assert client.get(reverse(f"reports:{slug}")).status_code == 200
    index = client.get(reverse("reports:index")).content.decode()
    assert reverse("reports:helpdesk") in index and reverse("reports:vat") not in index


def test_billing_clerks_see_every_report(client, books, today):
    signed_in(client, User.Role.BILLING)
    for slug in BILLING_REPORTS + HELPDESK_REPORTS:
        assert client.get(reverse(f"reports:{slug}")).status_code == 200


def test_clients_and_visitors_are_kept_out(client, owner):
    assert client.get(reverse("reports:vat")).status_code == 302  # to the login page
    client.force_login(owner.owner)
    assert client.get(reverse("reports:vat")).status_code == 403
    assert client.get(reverse("reports:index")).status_code == 403


@pytest.mark.parametrize(
    "slug, query, field",
    [
        ("revenue", "until=2026-13", "Give a month as YYYY-MM"),
        ("revenue", "until=1850-01", "between 2000 and 2100"),
        ("vat", "year=abc&period=q1", "Year"),
        ("vat", "year=2026&period=q9", "Period"),
        ("receivables", "top=1000000", "Clients listed"),
        ("renewals", "days=-1", "Period"),
        ("helpdesk", "weeks=%00", "Period"),
    ],
)
def test_bad_parameters_are_an_error_on_the_page(client, today, slug, query, field):
    signed_in(client, User.Role.ADMIN)
    page = client.get(f"{reverse(f'reports:{slug}')}?{query}")
    assert page.status_code == 400
    assert field in page.content.decode()
    download = client.get(f"{reverse(f'reports:{slug}_csv')}?{query}")
    assert download.status_code == 400 and field in download.content.decode()


def test_the_vat_page_shows_the_chosen_quarter_in_the_readers_language(client, books, today):
    signed_in(client, User.Role.BILLING, language="it")
    page = client.get(reverse("reports:vat") + "?year=2026&period=q1").content.decode()
    page = page.replace("\xa0", " ")
    assert "140,05 €" in page and "30,81 €" in page and "Germania" in page


def test_csv_headers_in_the_users_language_and_amounts_exact(client, books, today):
    signed_in(client, User.Role.BILLING, language="es")
    download = client.get(reverse("reports:vat_csv") + "?year=2026&period=year")
    text = download.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:4] == ["País", "IVA %", "Tratamiento del IVA", "Base imponible"]
    assert rows[-1][3:5] == ["180.05", "38.11"]
    assert 'filename="vat-2026-year.csv"' in download["Content-Disposition"]


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_csv_cells_that_a_spreadsheet_would_run_stay_text(start):
    assert safe_cell(f'{start}HYPERLINK("http://evil")') == f'\'{start}HYPERLINK("http://evil")'
    figures = Figures([Column("client", "Client"), Column("total", "Total", "money")],
                      [{"client": f"{start}cmd|' /C calc'!A0", "total": 5}])  # fmt: skip
    rows = list(csv.reader(io.StringIO(as_csv(figures).decode("utf-8-sig"))))
    assert rows[1] == [f"'{start}cmd|' /C calc'!A0", "5"]


def test_a_client_named_like_a_formula_is_text_in_the_receivables_csv(client, books, today):
    books["a"].name = "=SUM(A1:A9)"
    books["a"].save()
    signed_in(client, User.Role.ADMIN)
    text = client.get(reverse("reports:receivables_csv")).content.decode("utf-8-sig")
    assert "'=SUM(A1:A9)" in text and "\n=SUM" not in text


@pytest.mark.parametrize(
    "language, month, legend",
    [("it", "mar 2026", "Dominio"), ("en", "Mar 2026", "Domain"), ("es", "mar 2026", "Dominio")],
)
def test_the_revenue_chart_speaks_the_readers_language_with_every_series_named(
    client, books, today, language, month, legend
):
    signed_in(client, User.Role.ADMIN, language=language)
    body = client.get(reverse("reports:revenue")).content.decode()
    # Months as the language abbreviates them; every series in an HTML legend that wraps,
    # however many products there are.
    assert f">{month}</text>" in body
    names = re.search(r'<ul class="chart-legend">(.*?)</ul>', body, re.S)[1]
    assert re.findall(r"</svg>([^<]+)</li>", names)[:1] == [legend]
