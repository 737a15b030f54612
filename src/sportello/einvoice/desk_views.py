"""The billing staff's e-invoice pages: the list with states, one e-invoice with its errors
and receipts (download, build, send, resend, correct), the export for the accountant."""

from datetime import date

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from sportello.core.access import staff_required
from sportello.core.params import PAGE, page_number

from . import actions, receipts, transport
from .models import EInvoice, EInvoiceSettings, VerifactuRecord

billing_staff = staff_required("admin", "billing")


class ExportForm(forms.Form):
    month = forms.CharField(
        label=gettext_lazy("Month"), max_length=7, widget=forms.TextInput(attrs={"type": "month"})
    )

    def clean_month(self) -> date:
        text = self.cleaned_data["month"]
        try:
            year, month = (int(part) for part in text.split("-"))
            return date(year, month, 1)
        except ValueError as error:
            raise ValidationError(gettext_lazy("Give a month as YYYY-MM.")) from error


class ReceiptForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("SdI receipt (XML)"))


def _xml_response(name: str, xml: str) -> HttpResponse:
    response = HttpResponse(xml.encode(), content_type="application/xml")
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=name)
    return response


@billing_staff
def einvoice_list(request):
    status = request.GET.get("status", "")
    rows = EInvoice.objects.select_related("invoice").order_by("-created_at", "-id")
    if status in EInvoice.Status.values:
        rows = rows.filter(status=status)
    page = page_number(request)
    chunk = list(rows[(page - 1) * PAGE : page * PAGE + 1])
    export_form = ExportForm(request.POST or None)
    if request.method == "POST" and export_form.is_valid():
        first = export_form.cleaned_data["month"]
        chosen = list(
            EInvoice.objects.select_related("invoice")
            .filter(invoice__numbered_on__year=first.year, invoice__numbered_on__month=first.month)
            .exclude(xml="")
            .order_by("invoice__numbered_on", "id")
        )
        data = actions.export(chosen, timezone.now(), period=f"{first:%Y-%m}", request=request)
        response = HttpResponse(data, content_type="application/zip")
        response["Content-Disposition"] = content_disposition_header(
            as_attachment=True, filename=f"fatture-{first:%Y-%m}.zip"
        )
        return response
    return render(
        request,
        "einvoice/desk/list.html",
        {
            "rows": chunk[:PAGE],
            "page": page,
            "has_next": len(chunk) > PAGE,
            "status": status,
            "statuses": EInvoice.Status.choices,
            "export_form": export_form,
            "records": VerifactuRecord.objects.order_by("-position")[:20],
            "chain_breaks": actions.chain_breaks() if VerifactuRecord.objects.exists() else [],
            "section": "einvoices",
        },
    )


@billing_staff
def einvoice_detail(request, pk):
    einvoice = get_object_or_404(EInvoice.objects.select_related("invoice", "corrected_by"), pk=pk)
    receipt_form = ReceiptForm()
    if request.method == "POST":
        action = request.POST.get("action")
        now = timezone.now()
        try:
            if action == "build":
                einvoice = actions.build(einvoice)
                messages.success(request, einvoice.get_status_display())
            elif action == "send":
                channel = transport.channel_for(EInvoiceSettings.current())
                if channel is None:
                    raise ValidationError(_("No channel to the SdI: export the month instead."))
                actions.transmit(einvoice, now, channel)
                messages.success(request, _("Sent."))
            elif action == "resend":
                einvoice = actions.resend(einvoice, now, request=request)
                messages.success(request, einvoice.get_status_display())
            elif action == "correct":
                new = actions.correct_rejected(einvoice, now, request=request)
                messages.success(
                    request,
                    _("Invoice %(number)s issued in place of the rejected one.")
                    % {"number": new.display_number},
                )
                return redirect("desk:invoice", pk=new.pk)
            elif action == "receipt":
                receipt_form = ReceiptForm(request.POST, request.FILES)
                if receipt_form.is_valid():
                    applied = actions.apply_receipt(
                        receipt_form.cleaned_data["file"].read(), now, request=request
                    )
                    messages.success(request, applied.einvoice.get_status_display())
                    return redirect("desk:einvoice", pk=applied.einvoice.pk)
                return _detail(request, einvoice, receipt_form)
            else:
                return redirect("desk:einvoice", pk=einvoice.pk)
        except receipts.NotAReceipt:
            receipt_form.add_error("file", _("This file is not an SdI receipt."))
            return _detail(request, einvoice, receipt_form)
        except (ValidationError, transport.TransportError) as error:
            messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
        return redirect("desk:einvoice", pk=einvoice.pk)
    return _detail(request, einvoice, receipt_form)


def _detail(request, einvoice, receipt_form):
    return render(
        request,
        "einvoice/desk/detail.html",
        {
            "einvoice": einvoice,
            "invoice": einvoice.invoice,
            "receipts": einvoice.receipts.all(),
            "files": einvoice.files.all(),
            "receipt_form": receipt_form,
            "can_build": einvoice.status in (EInvoice.Status.NEW, EInvoice.Status.INVALID),
            "can_send": einvoice.status == EInvoice.Status.TO_SEND,
            "rejected": einvoice.status == EInvoice.Status.REJECTED,
            "section": "einvoices",
        },
    )


@billing_staff
def einvoice_xml(request, pk):
    einvoice = get_object_or_404(EInvoice.objects.exclude(xml=""), pk=pk)
    return _xml_response(einvoice.filename, einvoice.xml)


@billing_staff
@require_POST
def einvoice_build_all(request):
    built = 0
    for einvoice in EInvoice.objects.filter(status=EInvoice.Status.NEW)[:200]:
        actions.build(einvoice)
        built += 1
    messages.success(request, _("%(count)s e-invoices prepared.") % {"count": built})
    return redirect("desk:einvoices")
