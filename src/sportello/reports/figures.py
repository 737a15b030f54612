"""The figures of each report, in a few aggregate queries each (GROUP BY in the database,
never a walk over invoices or tickets in Python), so a report costs the same at a thousand
rows or a million. Amounts are Decimal end to end; dates are the provider's business dates
(Europe/Rome): invoices carry their fiscal date, tickets are counted in local weeks."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from dateutil.relativedelta import relativedelta
from django.db import connection
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import TruncMonth, TruncWeek
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from sportello.accounts.countries import country_name
from sportello.accounts.models import Client
from sportello.billing.models import Invoice
from sportello.catalog.models import ProductType
from sportello.core.formatting import compact_format
from sportello.core.money import ZERO
from sportello.helpdesk.models import Department, Ticket
from sportello.helpdesk.sla import local_midnight
from sportello.kb.actions import TICKET_WINDOW
from sportello.kb.models import SuggestionOpening
from sportello.services.models import Service

from .charts import Series
from .models import RevenueDay, VatDay
from .sales import OTHER


@dataclass
class Column:
    key: str
    label: str
    kind: str = "text"  # text, money, count, rate, date


@dataclass
class Figures:
    columns: list[Column]
    rows: list[dict[str, Any]]
    totals: dict[str, Any] | None = None
    chart_kind: str = "bar"
    chart_labels: list[str] = field(default_factory=list)
    chart_series: list[Series] = field(default_factory=list)
    chart_unit: str = ""
    notes: list[str] = field(default_factory=list)


def month_label(day: date) -> str:
    return _label(day, "COMPACT_MONTH_FORMAT")


def week_label(day: date) -> str:
    return _label(day, "COMPACT_YEAR_DATE_FORMAT")


def _label(day: date, format_name: str) -> str:
    # "dic 2026", as the reader's language abbreviates; with ordinary spaces, since the
    # labels are the CSV's values too.
    return date_format(day, compact_format(format_name)).replace("\u00a0", " ")


# --- 1. Revenue by month and product type ---------------------------------------------------


def revenue(until: date) -> Figures:
    """Net revenue of the twelve months ending with `until`'s month, by the product type of
    each line's service when the document was numbered; credit notes subtract in the month
    they are dated. Read from the day totals (sales.py): a few hundred rows a year."""
    end = until.replace(day=1) + relativedelta(months=1)
    start = end - relativedelta(months=12)
    months = [start + relativedelta(months=n) for n in range(12)]
    grouped = (
        RevenueDay.objects.filter(day__gte=start, day__lt=end)
        .order_by()
        .values("product_type", "kind", month=TruncMonth("day"))
        .annotate(net_cents=Sum("net_cents"))
    )
    amounts: dict[tuple[date, str], Decimal] = defaultdict(lambda: ZERO)
    for found in grouped:
        month = found["month"]
        month = month.date() if isinstance(month, datetime) else month
        sign = -1 if found["kind"] == Invoice.Kind.CREDIT_NOTE else 1
        amounts[(month, found["product_type"])] += sign * _euros(found["net_cents"])
    present = {kind for _month, kind in amounts}
    types = [t for t in ProductType.values if t in present] + ([OTHER] if OTHER in present else [])
    labels = {t: str(ProductType(t).label) for t in types if t != OTHER} | {OTHER: _("Other")}
    columns = [Column("month", _("Month"), "text")]
    columns += [Column(t, labels[t], "money") for t in types]
    columns.append(Column("total", _("Total"), "money"))
    rows: list[dict[str, Any]] = []
    for month in months:
        row: dict[str, Any] = {"month": month_label(month)}
        for t in types:
            row[t] = amounts.get((month, t), ZERO)
        row["total"] = sum((row[t] for t in types), ZERO)
        rows.append(row)
    totals: dict[str, Any] = {"month": _("Total")}
    for t in [*types, "total"]:
        totals[t] = sum((row[t] for row in rows), ZERO)
    return Figures(
        columns, rows, totals, "bar", [row["month"] for row in rows],
        [Series(labels[t], [row[t] for row in rows]) for t in types], _("EUR, net of VAT"),
    )  # fmt: skip


def _euros(cents: int) -> Decimal:
    return Decimal(int(cents)) * Decimal("0.01")


# --- 2. VAT summary by rate and country ---------------------------------------------------


def vat_summary(start: date, end: date) -> Figures:
    """Taxable and VAT per country, rate and VAT treatment of the documents dated from
    `start` to `end` (included): what the periodic VAT return needs. Credit notes subtract.
    Read from the day totals (sales.py), where each document's VAT per rate was rounded as
    on the document."""
    found = (
        VatDay.objects.filter(day__gte=start, day__lte=end)
        .order_by()
        .values("country", "vat_note", "kind", "rate_bp")
        .annotate(net=Sum("net_cents"), vat=Sum("vat_cents"), count=Sum("documents"))
    )
    groups: dict[tuple[str, str, int], dict[str, Any]] = {}
    for row in found:
        key = (row["country"], row["vat_note"], row["rate_bp"])
        group = groups.setdefault(
            key, {"taxable": ZERO, "vat": ZERO, "invoices": 0, "credit_notes": 0}
        )
        sign = -1 if row["kind"] == Invoice.Kind.CREDIT_NOTE else 1
        group["taxable"] += sign * _euros(row["net"])
        group["vat"] += sign * _euros(row["vat"])
        group["credit_notes" if sign < 0 else "invoices"] += int(row["count"])
    notes = dict(Invoice.VatNote.choices)
    rows: list[dict[str, Any]] = []
    for (country, note, rate_bp), group in sorted(
        groups.items(), key=lambda i: (i[0][0], -i[0][2], i[0][1])
    ):
        rate = (Decimal(rate_bp) / 100).normalize()
        rows.append({
            "country": f"{country} {country_name(country)}".strip() if country else "—",
            "rate": rate,
            "treatment": str(notes.get(note, "")).split(":")[0] if note else _("Standard"),
            **group,
            "gross": group["taxable"] + group["vat"],
        })  # fmt: skip
    columns = [
        Column("country", _("Country")),
        Column("rate", _("VAT %"), "rate"),
        Column("treatment", _("VAT treatment")),
        Column("taxable", _("Taxable"), "money"),
        Column("vat", _("VAT"), "money"),
        Column("gross", _("Total"), "money"),
        Column("invoices", _("Invoices"), "count"),
        Column("credit_notes", _("Credit notes"), "count"),
    ]
    totals: dict[str, Any] = {"country": _("Total"), "rate": "", "treatment": ""}
    for name in ("taxable", "vat", "gross"):
        totals[name] = sum((row[name] for row in rows), ZERO)
    for name in ("invoices", "credit_notes"):
        totals[name] = sum(row[name] for row in rows)
    labels = [f"{row['country'][:2]} {row['rate']}%" for row in rows]
    series = [
        Series(_("Taxable"), [row["taxable"] for row in rows]),
        Series(_("VAT"), [row["vat"] for row in rows]),
    ]
    return Figures(columns, rows, totals, "bar", labels, series, "EUR")


# --- 3. Receivables ageing ------------------------------------------------------------------

BUCKETS = ["current", "days_30", "days_60", "days_90", "older"]


def bucket_labels() -> dict[str, str]:
    return {
        "current": _("Not yet due"),
        "days_30": _("1–30 days"),
        "days_60": _("31–60 days"),
        "days_90": _("61–90 days"),
        "older": _("Over 90 days"),
    }


# One pass over the open numbered invoices (the partial index `invoice_receivable` holds
# every column read): the clients' sums, and the grand totals as window sums over them, so
# the totals need no second pass. Whole cents, exact on SQLite as on PostgreSQL.
_RECEIVABLES_SQL = """
SELECT client_id, count, current, days_30, days_60, days_90, older, total,
       SUM(count) OVER (), SUM(current) OVER (), SUM(days_30) OVER (), SUM(days_60) OVER (),
       SUM(days_90) OVER (), SUM(older) OVER (), SUM(total) OVER ()
FROM (
    SELECT client_id, COUNT(*) AS count,
           SUM(CASE WHEN due_on IS NULL OR due_on >= %s THEN due ELSE 0 END) AS current,
           SUM(CASE WHEN due_on < %s AND due_on >= %s THEN due ELSE 0 END) AS days_30,
           SUM(CASE WHEN due_on < %s AND due_on >= %s THEN due ELSE 0 END) AS days_60,
           SUM(CASE WHEN due_on < %s AND due_on >= %s THEN due ELSE 0 END) AS days_90,
           SUM(CASE WHEN due_on < %s THEN due ELSE 0 END) AS older,
           SUM(due) AS total
    FROM (SELECT client_id, due_on,
                 CAST(ROUND(total * 100) AS BIGINT) - CAST(ROUND(paid_total * 100) AS BIGINT)
                 - CAST(ROUND(credited_total * 100) AS BIGINT) AS due
          FROM {invoices}
          WHERE kind = %s AND status = %s AND number IS NOT NULL) open_invoices
    GROUP BY client_id
) per_client
ORDER BY total DESC, client_id
LIMIT %s
"""


def receivables(today: date, top: int) -> Figures:
    """What is still to collect on issued invoices, by how late it is: the clients who owe
    most first. Payment notices are requests to pay, not receivables (the same selection as
    Invoice.objects.receivable()). Late by 1 to 30 days means due from 30 days ago to
    yesterday: an invoice due today is not late yet."""
    day = [today - timedelta(days=n) for n in (0, 30, 60, 90)]
    with connection.cursor() as cursor:
        cursor.execute(
            _RECEIVABLES_SQL.format(invoices=Invoice._meta.db_table),
            [day[0], day[0], day[1], day[1], day[2], day[2], day[3], day[3],
             Invoice.Kind.INVOICE, Invoice.Status.OPEN, top],
        )  # fmt: skip
        found = cursor.fetchall()
    cent = Decimal("0.01")
    keys = ["count", *BUCKETS, "total"]
    per_client = [
        {"client_id": row[0], "count": int(row[1]),
         **{key: Decimal(int(value)) * cent for key, value in zip(keys[1:], row[2:8], strict=True)}}
        for row in found
    ]  # fmt: skip
    totals: dict[str, Any] = {"count": 0, **{key: ZERO for key in keys[1:]}}
    if found:
        totals["count"] = int(found[0][8])
        totals.update(
            {key: Decimal(int(v)) * cent for key, v in zip(keys[1:], found[0][9:], strict=True)}
        )
    names = {
        client.pk: client.display_name
        for client in Client.objects.filter(pk__in=[row["client_id"] for row in per_client])
    }
    labels = bucket_labels()
    rows: list[dict[str, Any]] = [
        {"client": names.get(row["client_id"], ""), **row} for row in per_client
    ]
    columns = [Column("client", _("Client")), Column("count", _("Invoices"), "count")]
    columns += [Column(key, labels[key], "money") for key in BUCKETS]
    columns.append(Column("total", _("Total"), "money"))
    totals["client"] = _("All clients")
    notes = []
    if sum(row["count"] for row in rows) < totals["count"]:
        notes.append(
            _("The %(top)s clients who owe most are listed; the totals count every client.")
            % {"top": top}
        )
    return Figures(
        columns, rows, totals, "bar", [labels[key] for key in BUCKETS],
        [Series(_("To collect"), [totals[key] for key in BUCKETS])], "EUR",
        notes,
    )  # fmt: skip


# --- 4. Renewal forecast --------------------------------------------------------------------


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def renewals(today: date, days: int) -> Figures:
    """Services whose period ends in the next `days` days and that are not being cancelled:
    how many renew each week and for how much (the net price of one cycle)."""
    grouped = (
        Service.objects.filter(
            expires_on__gte=today,
            expires_on__lt=today + timedelta(days=days),
            status__in=Service.LIVE_STATUSES,
            cancellation_requested_on__isnull=True,
        )
        .order_by()
        .values(week=TruncWeek("expires_on"), policy=F("renewal_policy"), cur=F("currency"))
        .annotate(count=Count("pk"), amount=Sum("price"))
    )
    weeks = []
    week = monday(today)
    while week < today + timedelta(days=days):
        weeks.append(week)
        week += timedelta(days=7)
    cells: dict[tuple[date, str], dict[str, Any]] = {}
    for row in grouped:
        start = row["week"].date() if isinstance(row["week"], datetime) else row["week"]
        cell = cells.setdefault((start, row["cur"]), {"tacit": ZERO, "confirm": ZERO,
                                                      "tacit_n": 0, "confirm_n": 0})  # fmt: skip
        policy = "tacit" if row["policy"] == "tacit" else "confirm"
        cell[policy] += row["amount"]
        cell[f"{policy}_n"] += row["count"]
    currencies = sorted({cur for _week, cur in cells}) or ["EUR"]
    rows: list[dict[str, Any]] = []
    for week in weeks:
        for currency in currencies:
            if (week, currency) not in cells and currency != "EUR":
                continue
            amounts = cells.get((week, currency)) or {
                "tacit": ZERO,
                "confirm": ZERO,
                "tacit_n": 0,
                "confirm_n": 0,
            }
            rows.append({"week": week_label(week), "currency": currency, **amounts,
                         "total": amounts["tacit"] + amounts["confirm"],
                         "count": amounts["tacit_n"] + amounts["confirm_n"]})  # fmt: skip
    columns = [
        Column("week", _("Week from")),
        Column("tacit_n", _("Automatic renewals"), "count"),
        Column("tacit", _("Automatic, amount"), "money"),
        Column("confirm_n", _("Renewals to confirm"), "count"),
        Column("confirm", _("To confirm, amount"), "money"),
        Column("total", _("Expected"), "money"),
    ]
    totals: dict[str, Any] = {"week": _("Total"), "currency": "EUR"}
    euro = [row for row in rows if row["currency"] == "EUR"]
    for key in ("tacit_n", "confirm_n", "count"):
        totals[key] = sum(row[key] for row in euro)
    for key in ("tacit", "confirm", "total"):
        totals[key] = sum((row[key] for row in euro), ZERO)
    notes = [_("Amounts are net of VAT, one billing cycle per service.")]
    if len(currencies) > 1:
        notes.append(_("Totals and chart count euro services only."))
    return Figures(
        columns, rows, totals, "bar", [row["week"] for row in euro],
        [Series(_("Automatic renewals"), [row["tacit"] for row in euro]),
         Series(_("Renewals to confirm"), [row["confirm"] for row in euro])],
        _("EUR, net of VAT"), notes,
    )  # fmt: skip


# --- 5. Help-desk volume --------------------------------------------------------------------


def _week_starts(today: date, weeks: int) -> tuple[list[date], datetime]:
    first = monday(today) - timedelta(weeks=weeks - 1)
    starts = [first + timedelta(weeks=n) for n in range(weeks)]
    return starts, local_midnight(first)


def _local_week(value: date | datetime) -> date:
    if isinstance(value, datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value


def _tickets_per_week(column: str, starts: list[date], since: datetime):
    """(local week, department, channel, tickets) of the tickets whose `column` (a time) is
    in the weeks from `starts`. On PostgreSQL each time is placed among the weeks' local
    midnights by `width_bucket` (a binary search), read from the covering indexes
    `ticket_by_opening` and `ticket_by_closing` alone: a year of 200,000 tickets in 60 ms,
    where converting each time to local time and truncating it took 150 ms."""
    if connection.vendor != "postgresql":
        found = (
            Ticket.objects.filter(**{f"{column}__gte": since})
            .order_by()
            .values_list(TruncWeek(column), "department_id", "channel")
            .annotate(n=Count("pk"))
        )
        return [(_local_week(week), dept, chan, n) for week, dept, chan, n in found]
    bounds = [local_midnight(start) for start in starts]
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT width_bucket({column}, %s::timestamptz[]), department_id, channel, COUNT(*)
            FROM {Ticket._meta.db_table} WHERE {column} >= %s GROUP BY 1, 2, 3
            """,  # noqa: S608 (the column is one of two names above, the values are bound)
            [bounds, since],
        )
        return [(starts[bucket - 1], dept, chan, n) for bucket, dept, chan, n in cursor]


def helpdesk_volume(today: date, weeks: int) -> Figures:
    """Tickets opened and closed per local week, by department and channel."""
    starts, since = _week_starts(today, weeks)
    cells: dict[tuple[date, int, str], dict[str, int]] = defaultdict(
        lambda: {"opened": 0, "closed": 0}
    )
    for key, column in (("opened", "created_at"), ("closed", "closed_at")):
        for week, department, channel, count in _tickets_per_week(column, starts, since):
            cells[(week, department, channel)][key] += count
    departments = {d.pk: d.label for d in Department.objects.all()}
    channels = dict(Ticket.Channel.choices)
    rows: list[dict[str, Any]] = [
        {"week": week_label(week), "department": departments.get(dept, ""),
         "channel": str(channels.get(chan, chan)), **cell}
        for (week, dept, chan), cell in sorted(
            cells.items(), key=lambda i: (i[0][0], departments.get(i[0][1], ""), i[0][2]))
    ]  # fmt: skip
    per_week = {week: {"opened": 0, "closed": 0} for week in starts}
    for (week, _dept, _chan), cell in cells.items():
        if week in per_week:
            per_week[week]["opened"] += cell["opened"]
            per_week[week]["closed"] += cell["closed"]
    columns = [
        Column("week", _("Week from")),
        Column("department", _("Department")),
        Column("channel", _("Channel")),
        Column("opened", _("Opened"), "count"),
        Column("closed", _("Closed"), "count"),
    ]
    totals = {
        "week": _("Total"),
        "department": "",
        "channel": "",
        "opened": sum(r["opened"] for r in rows),
        "closed": sum(r["closed"] for r in rows),
    }
    return Figures(
        columns, rows, totals, "line", [week_label(w) for w in starts],
        [Series(_("Opened"), [Decimal(per_week[w]["opened"]) for w in starts]),
         Series(_("Closed"), [Decimal(per_week[w]["closed"]) for w in starts])],
        _("Tickets"),
    )  # fmt: skip


# --- 6. Knowledge-base deflection -----------------------------------------------------------


def kb_deflection(now: datetime, weeks: int) -> Figures:
    """Per week: articles opened from the suggestions shown while a ticket was being
    written, how many were followed by a ticket anyway, how many avoided one, against the
    tickets opened. Plain article views are not recorded by the knowledge base."""
    starts, since = _week_starts(timezone.localdate(now), weeks)
    settled_before = now - TICKET_WINDOW
    openings = (
        SuggestionOpening.objects.filter(opened_at__gte=since)
        .order_by()
        .values(week=TruncWeek("opened_at"))
        .annotate(
            opened=Count("pk"),
            followed=Count("pk", filter=Q(ticket_followed_at__isnull=False)),
            avoided=Count(
                "pk", filter=Q(ticket_followed_at__isnull=True, opened_at__lte=settled_before)
            ),  # fmt: skip
        )
    )
    tickets = (
        Ticket.objects.filter(created_at__gte=since)
        .order_by()
        .values(week=TruncWeek("created_at"))
        .annotate(tickets=Count("pk"))
    )
    per_week: dict[date, dict[str, int]] = {
        w: {"opened": 0, "followed": 0, "avoided": 0, "tickets": 0} for w in starts
    }
    for row in openings:
        cell = per_week.get(_local_week(row["week"]))
        if cell is not None:
            cell.update(opened=row["opened"], followed=row["followed"], avoided=row["avoided"])
    for counted in tickets:
        cell = per_week.get(_local_week(counted["week"]))
        if cell is not None:
            cell["tickets"] = counted["tickets"]
    rows: list[dict[str, Any]] = [{"week": week_label(w), **per_week[w]} for w in starts]
    columns = [
        Column("week", _("Week from")),
        Column("opened", _("Suggested articles opened"), "count"),
        Column("followed", _("Ticket sent anyway"), "count"),
        Column("avoided", _("Tickets avoided"), "count"),
        Column("tickets", _("Tickets opened"), "count"),
    ]
    totals: dict[str, Any] = {"week": _("Total")}
    for key in ("opened", "followed", "avoided", "tickets"):
        totals[key] = sum(row[key] for row in rows)
    notes = [
        _("The knowledge base does not record plain article views: this report counts the "
          "articles opened from the suggestions shown while a client writes a ticket. An "
          "opening is an avoided ticket when no ticket follows within 24 hours."),
    ]  # fmt: skip
    return Figures(
        columns, rows, totals, "line", [row["week"] for row in rows],
        [Series(_("Suggested articles opened"), [Decimal(r["opened"]) for r in rows]),
         Series(_("Tickets avoided"), [Decimal(r["avoided"]) for r in rows]),
         Series(_("Tickets opened"), [Decimal(r["tickets"]) for r in rows])],
        "", notes,
    )  # fmt: skip
