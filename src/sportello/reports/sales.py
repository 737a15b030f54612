"""The day totals behind the revenue and VAT reports.

An invoice or credit note is final once numbered: it is dated that day (`numbered_on`) and
its lines never change after (a correction is a credit note, a document of its own). So
its amounts are added to the totals of its day in the transaction that numbers it
(`billing.signals.invoices_numbered`); a rollback takes them back with the number. The
numbering transaction holds its series' lock, so these upserts add no waiting of their
own. Amounts are whole cents, exact on SQLite (floating-point decimals) as on PostgreSQL;
the VAT of a document and rate is the rate applied once to the sum of its lines, rounded
half away from zero, as `billing.pricing.vat_breakdown` does. PostgreSQL's SUM of integers
is a numeric: it is cast back, so the division by 10,000 stays an integer division."""

from collections.abc import Iterable

from django.db import connection, transaction

from sportello.billing.models import Invoice, InvoiceLine, Sequence
from sportello.catalog.models import Product
from sportello.services.models import Service

from .models import RevenueDay, VatDay

OTHER = "other"  # a line for no service: a fee, a correction, added funds
# Ids per statement: well under SQLite's limit on bound parameters.
CHUNK = 500

_REVENUE_SQL = """
INSERT INTO {revenue} (day, product_type, kind, net_cents)
SELECT i.numbered_on, COALESCE(p.type, %s), i.kind, SUM(CAST(ROUND(l.net * 100) AS BIGINT))
FROM {lines} l JOIN {invoices} i ON i.id = l.invoice_id
LEFT JOIN {services} s ON s.id = l.service_id LEFT JOIN {products} p ON p.id = s.product_id
WHERE {documents}
GROUP BY i.numbered_on, COALESCE(p.type, %s), i.kind
ON CONFLICT (day, product_type, kind)
DO UPDATE SET net_cents = {revenue}.net_cents + excluded.net_cents
"""

_VAT_SQL = """
INSERT INTO {vat} (day, country, vat_note, kind, rate_bp, net_cents, vat_cents, documents)
SELECT day, country, note, kind, rate_bp, SUM(net_cents), SUM(
    CASE WHEN net_cents < 0 THEN -((-net_cents * rate_bp + 5000) / 10000)
         ELSE (net_cents * rate_bp + 5000) / 10000 END), COUNT(*)
FROM (
    SELECT i.numbered_on AS day, COALESCE(i.billing_country, '') AS country,
           COALESCE(i.vat_note, '') AS note, i.kind AS kind,
           CAST(ROUND(l.vat_rate * 100) AS BIGINT) AS rate_bp,
           CAST(SUM(CAST(ROUND(l.net * 100) AS BIGINT)) AS BIGINT) AS net_cents
    FROM {lines} l JOIN {invoices} i ON i.id = l.invoice_id
    WHERE {documents}
    GROUP BY i.id, i.numbered_on, i.billing_country, i.vat_note, i.kind,
             CAST(ROUND(l.vat_rate * 100) AS BIGINT)
) per_document
GROUP BY day, country, note, kind, rate_bp
ON CONFLICT (day, country, vat_note, kind, rate_bp)
DO UPDATE SET net_cents = {vat}.net_cents + excluded.net_cents,
              vat_cents = {vat}.vat_cents + excluded.vat_cents,
              documents = {vat}.documents + excluded.documents
"""

# Fiscal documents only: payment notices (pro-forma, no number) and drafts are no sale.
_ISSUED = "i.number IS NOT NULL AND i.status NOT IN (%s, %s)"


def _statements(documents: str) -> list[str]:
    tables = {
        "revenue": RevenueDay._meta.db_table,
        "vat": VatDay._meta.db_table,
        "lines": InvoiceLine._meta.db_table,
        "invoices": Invoice._meta.db_table,
        "services": Service._meta.db_table,
        "products": Product._meta.db_table,
        "documents": f"{_ISSUED} AND {documents}",
    }
    return [_REVENUE_SQL.format(**tables), _VAT_SQL.format(**tables)]


def _execute(documents: str, params: list) -> None:
    issued = [Invoice.Status.DRAFT, Invoice.Status.WITHDRAWN]
    revenue, vat = _statements(documents)
    with connection.cursor() as cursor:
        cursor.execute(revenue, [OTHER, *issued, *params, OTHER])
        cursor.execute(vat, [*issued, *params])


def add_documents(invoice_ids: Iterable[int]) -> None:
    """Add newly numbered documents to their days. Call once per document, in the
    transaction that numbers it."""
    ids = list(invoice_ids)
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        _execute(f"i.id IN ({', '.join(['%s'] * len(chunk))})", chunk)


@transaction.atomic
def rebuild() -> None:
    """All the totals again from the documents: for invoices written past the numbering
    action (an import, a restore of part of the data), and on first installation. Holds
    the invoice series' locks meanwhile, so no document is numbered half-counted."""
    list(Sequence.objects.select_for_update().order_by("pk").values_list("pk", flat=True))
    RevenueDay.objects.all().delete()
    VatDay.objects.all().delete()
    _execute("1 = 1", [])
