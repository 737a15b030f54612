"""What an invoice's pages and PDF show about its e-invoice or VERI*FACTU record."""

import base64
import io

from django.template.loader import render_to_string

from sportello.billing.models import Invoice

from .models import EInvoice, VerifactuRecord
from .verifactu import LEGEND


def qr_data_uri(url: str) -> str:
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(
        url,
        image_factory=qrcode.image.svg.SvgPathImage,
        error_correction=qrcode.constants.ERROR_CORRECT_M,
    )
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


def invoice_block(invoice: Invoice, place: str) -> str:
    einvoice = EInvoice.objects.filter(invoice=invoice).first()
    record = VerifactuRecord.objects.filter(
        invoice=invoice, kind=VerifactuRecord.Kind.REGISTRATION
    ).first()
    if einvoice is None and record is None:
        return ""
    context = {"invoice": invoice, "einvoice": einvoice, "record": record, "legend": LEGEND}
    if record is not None and place == "pdf":
        context["qr"] = qr_data_uri(record.qr_url)
    return render_to_string(f"einvoice/_invoice_{place}.html", context)
