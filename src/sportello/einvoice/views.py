"""The client's copy of the XML of an invoice (the PDF is the courtesy copy)."""

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.http import content_disposition_header

from sportello.core.access import client_required

from .models import EInvoice


@client_required
def einvoice_xml(request, client, pk):
    einvoice = get_object_or_404(
        EInvoice.objects.exclude(xml="").exclude(status=EInvoice.Status.INTERNAL),
        invoice__client=client,
        invoice__pk=pk,  # through the join: an id larger than the database stores is a 404
    )
    response = HttpResponse(einvoice.xml.encode(), content_type="application/xml")
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=einvoice.filename
    )
    return response
