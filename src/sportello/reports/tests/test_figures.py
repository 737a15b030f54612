"""Each report's figures for the known data set of conftest.py."""

from datetime import date, datetime, timedelta
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from sportello.helpdesk.models import Ticket
from sportello.kb.models import Article, SuggestionOpening
from sportello.kb.models import Category as KbCategory
from sportello.reports import figures
from sportello.services.models import Service
from sportello.testing import make_client, make_department, make_ticket, make_tier

from .conftest import NOW, ROME

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def by(rows, key):
    return {row[key]: row for row in rows}


def test_revenue_by_month_and_type_nets_credit_notes_and_leaves_out_notices(books, today):
    found = figures.revenue(date(2026, 6, 1))
    assert [c.key for c in found.columns] == ["month", "domain", "hosting", "other", "total"]
    rows = by(found.rows, "month")
    assert len(found.rows) == 12 and found.rows[0]["month"] == "Jul 2025"
    assert rows["Feb 2026"]["hosting"] == D("30.00")
    assert rows["Mar 2026"]["hosting"] == D("150.00")  # the notice's 999.00 is not a sale
    assert rows["Mar 2026"]["domain"] == D("10.05")
    assert rows["Apr 2026"]["hosting"] == D("-20.00")  # the credit note, in its own month
    assert rows["Jun 2026"]["other"] == D("10.00")
    assert found.totals == {"month": "Total", "domain": D("10.05"), "hosting": D("160.00"),
                            "other": D("10.00"), "total": D("180.05")}  # fmt: skip


def test_revenue_window_is_twelve_months_up_to_the_chosen_one(books, today):
    found = figures.revenue(date(2026, 2, 1))
    assert found.rows[-1]["month"] == "Feb 2026"
    assert found.totals["total"] == D("30.00")


def test_vat_summary_by_country_and_rate_with_vat_on_the_sum_of_lines(books, today):
    first_quarter = by(figures.vat_summary(date(2026, 1, 1), date(2026, 3, 31)).rows, "country")
    italy, germany = first_quarter["IT Italy"], first_quarter["DE Germany"]
    # 110.05 × 22% = 24.211 on F1's two lines together, plus F3's 6.60.
    assert (italy["rate"], italy["taxable"], italy["vat"]) == (D("22"), D("140.05"), D("30.81"))
    assert (italy["invoices"], italy["credit_notes"]) == (2, 0)
    assert (germany["rate"], germany["taxable"], germany["vat"]) == (D("19"), D("50.00"), D("9.50"))


def test_vat_summary_subtracts_credit_notes(books, today):
    found = figures.vat_summary(date(2026, 4, 1), date(2026, 6, 30))
    (italy,) = found.rows
    assert (italy["taxable"], italy["vat"], italy["gross"]) == (
        D("-10.00"),
        D("-2.20"),
        D("-12.20"),
    )
    assert (italy["invoices"], italy["credit_notes"]) == (1, 1)
    year = figures.vat_summary(date(2026, 1, 1), date(2026, 12, 31))
    assert (year.totals["taxable"], year.totals["vat"]) == (D("180.05"), D("38.11"))


def test_vat_rounds_half_cents_away_from_zero_like_the_invoice(db, today):
    from .conftest import document

    client = make_client("r@example.org")
    document(client, date(2026, 5, 2), [(D("0.25"), D("22"), None)])  # 0.055 → 0.06
    document(client, date(2026, 5, 3), [(D("0.25"), D("22"), None)],
             kind="credit_note")  # fmt: skip
    document(client, date(2026, 5, 4), [(D("0.25"), D("22"), None)])
    (row,) = figures.vat_summary(date(2026, 5, 1), date(2026, 5, 31)).rows
    assert (row["taxable"], row["vat"]) == (D("0.25"), D("0.06"))


def test_receivables_buckets_on_the_exact_day(books, today):
    found = figures.receivables(today, top=50)
    (alfa,) = found.rows
    assert alfa["client"] == "Alfa Srl" and alfa["count"] == 3
    assert alfa["current"] == D("12.20")  # F4, due today: not late yet
    assert alfa["days_30"] == D("109.86")  # F1, 30 days late, less what NC1 credited
    assert alfa["days_60"] == D("36.60")  # F3, 31 days late
    assert alfa["days_90"] == alfa["older"] == D("0")  # the overdue notice is not a receivable
    assert found.totals["total"] == D("158.66") and found.totals["count"] == 3


def test_receivables_list_the_top_clients_and_total_them_all(books, today):
    from .conftest import document

    document(books["b"], date(2026, 6, 1), [(D("5.00"), D("19"), None)],
             status="open", due_on=date(2026, 7, 1), country="DE")  # fmt: skip
    found = figures.receivables(today, top=1)
    assert [row["client"] for row in found.rows] == ["Alfa Srl"]
    assert found.totals["count"] == 4 and found.totals["current"] == D("18.15")
    assert found.notes


def test_renewal_forecast_by_week(books, today):
    Service.objects.filter(pk=books["hosting"].pk).update(expires_on=date(2026, 6, 20),
                                                         renewal_policy="tacit")  # fmt: skip
    Service.objects.filter(pk=books["domain"].pk).update(expires_on=date(2026, 7, 1),
                                                        renewal_policy="confirm")  # fmt: skip
    a = books["a"]
    cancelling = Service.objects.get(pk=books["hosting"].pk)
    cancelling.pk = None
    cancelling.name = "leaving.it"
    cancelling.expires_on = date(2026, 6, 25)
    cancelling.cancellation_requested_on = date(2026, 6, 1)
    cancelling.save()
    later = Service.objects.get(pk=books["hosting"].pk)
    later.pk, later.name, later.expires_on = None, "later.it", date(2026, 9, 14)  # day 91
    later.save()
    assert later.client == a
    found = figures.renewals(today, 90)
    rows = by(found.rows, "week")
    assert len(found.rows) == 13
    assert (rows["15 Jun 2026"]["tacit_n"], rows["15 Jun 2026"]["tacit"]) == (1, D("100.00"))
    assert (rows["29 Jun 2026"]["confirm_n"], rows["29 Jun 2026"]["confirm"]) == (1, D("10.05"))
    assert found.totals["total"] == D("110.05") and found.totals["count"] == 2


def test_helpdesk_volume_counts_in_local_weeks(db, today):
    client = make_client("t@example.org", tier=make_tier())
    make_department()
    late_sunday = datetime(2026, 6, 14, 23, 30, tzinfo=ROME)  # 21:30 UTC, still week of 8 June
    early_monday = datetime(2026, 6, 15, 0, 30, tzinfo=ROME)  # 22:30 UTC on Sunday
    first = make_ticket(client, now=late_sunday)
    second = make_ticket(client, now=early_monday)
    Ticket.objects.filter(pk=first.pk).update(created_at=late_sunday, closed_at=early_monday,
                                              status="closed")  # fmt: skip
    Ticket.objects.filter(pk=second.pk).update(created_at=early_monday, channel="email")
    found = figures.helpdesk_volume(today, 4)
    opened = {(r["week"], r["channel"]): r["opened"] for r in found.rows}
    closed = {(r["week"], r["channel"]): r["closed"] for r in found.rows}
    assert opened == {("8 Jun 2026", "Panel"): 1, ("15 Jun 2026", "Panel"): 0,
                      ("15 Jun 2026", "Email"): 1}  # fmt: skip
    assert closed[("15 Jun 2026", "Panel")] == 1
    assert [s.values for s in found.chart_series] == [[0, 0, 1, 1], [0, 0, 0, 1]]


def test_kb_deflection_per_week_and_says_views_are_not_recorded(db, today):
    client = make_client("k@example.org", tier=make_tier())
    make_department()
    category = KbCategory.objects.create(slug="c", name="C")
    article = Article.objects.create(slug="a", category=category)
    SuggestionOpening.objects.create(article=article, opened_at=NOW - timedelta(days=3))
    SuggestionOpening.objects.create(article=article, opened_at=NOW - timedelta(days=3),
                                     ticket_followed_at=NOW - timedelta(days=3))  # fmt: skip
    SuggestionOpening.objects.create(article=article, opened_at=NOW - timedelta(hours=2))
    ticket = make_ticket(client, now=NOW - timedelta(days=3))
    assert ticket.created_at
    found = figures.kb_deflection(NOW, 2)
    this_week, last_week = found.rows[1], found.rows[0]
    assert (last_week["opened"], last_week["followed"], last_week["avoided"],
            last_week["tickets"]) == (2, 1, 1, 1)  # fmt: skip
    assert (this_week["opened"], this_week["avoided"]) == (1, 0)  # within its 24 hours
    assert "does not record plain article views" in found.notes[0]


def test_documents_numbered_by_billing_reach_the_reports_in_their_transaction(db, today):
    from django.db import transaction

    from sportello.billing import actions as billing
    from sportello.billing.models import BillingSettings, Invoice
    from sportello.catalog.models import ProductType
    from sportello.testing import make_product, make_service

    settings = BillingSettings.current()
    settings.numbering = BillingSettings.Numbering.AT_PAYMENT
    settings.save()
    client = make_client("n@example.org")
    hosting = make_service(client, make_product("h-n", ProductType.HOSTING, "40.00"))
    notice = billing.create_invoice(
        client, [billing.Line("Hosting", D("40.00"), service=hosting, vat_rate=D("22"))], NOW
    )
    june = date(2026, 6, 1)
    assert notice.number is None and figures.revenue(june).rows[-1]["total"] == 0
    # Paid on an earlier day: numbered then, so it counts on that day.
    billing.record_payment(client, notice.total, date(2026, 5, 30), invoice=notice)
    notice.refresh_from_db()
    assert notice.numbered_on == date(2026, 5, 30)
    may = by(figures.revenue(june).rows, "month")["May 2026"]
    assert (may["hosting"], may["total"]) == (D("40.00"), D("40.00"))
    billing.issue_credit_note(notice, NOW, reason="goodwill", amount=D("12.20"))
    found = figures.revenue(june)
    # A partial credit is one line for no service: "other", in the month it is dated.
    assert by(found.rows, "month")["Jun 2026"]["other"] == D("-10.00")
    vat = figures.vat_summary(date(2026, 5, 1), date(2026, 6, 30))
    assert (vat.totals["taxable"], vat.totals["vat"]) == (D("30.00"), D("6.60"))
    assert (vat.totals["invoices"], vat.totals["credit_notes"]) == (1, 1)
    # A numbering rolled back takes its amounts back with its number.
    with pytest.raises(RuntimeError), transaction.atomic():
        settings.numbering = BillingSettings.Numbering.AT_ISSUE
        settings.save()
        billing.create_invoice(client, [billing.Line("Fee", D("99.00"), vat_rate=D("22"))], NOW)
        assert figures.revenue(june).totals["total"] == D("129.00")
        raise RuntimeError
    assert figures.revenue(june).totals["total"] == D("30.00")
    assert not Invoice.objects.filter(net_total=D("99.00")).exists()


def test_a_product_retyped_later_leaves_past_revenue_as_it_was_sold(books, today):
    product = books["domain"].product
    product.type = "hosting"
    product.save()
    assert by(figures.revenue(date(2026, 6, 1)).rows, "month")["Mar 2026"]["domain"] == D("10.05")


def test_rebuilding_the_day_totals_gives_the_kept_ones(books, today):
    from sportello.reports import sales
    from sportello.reports.models import RevenueDay, VatDay

    def kept():
        return (
            sorted(RevenueDay.objects.values_list("day", "product_type", "kind", "net_cents")),
            sorted(VatDay.objects.values_list("day", "country", "vat_note", "kind", "rate_bp",
                                              "net_cents", "vat_cents", "documents")),
        )  # fmt: skip

    before = kept()
    assert before[0] and before[1]
    sales.rebuild()
    assert kept() == before
    with CaptureQueriesContext(connection) as queries:
        figures.revenue(date(2026, 6, 1))
        figures.vat_summary(date(2026, 1, 1), date(2026, 12, 31))
    assert len(queries) == 2
    assert not [q for q in queries.captured_queries if "billing_invoice" in q["sql"]]
