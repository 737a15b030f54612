from django.template.loader import render_to_string
from django.utils import translation

from sportello.core.formatting import fix_date_articles
from sportello.core.models import Provider

from .models import BillingSettings, Invoice


def invoice_pdf(invoice: Invoice) -> bytes:
    """The invoice as PDF, in the language of the client it was issued to (BIL-12)."""
    with translation.override(invoice.language or "it"):
        billing = BillingSettings.current()
        html = render_to_string(
            "billing/invoice_pdf.html",
            {
                "invoice": invoice,
                "lines": invoice.lines.select_related("service"),
                "breakdown": invoice.vat_breakdown(),
                "provider": Provider.current(),
                "billing": billing,
                "logo": billing.logo_data_uri(),
            },
        )
        document = fix_date_articles(html)
    # Imported here: WeasyPrint loads Pango when imported, which only PDFs need.
    from weasyprint import HTML

    return HTML(string=document).write_pdf()
