"""Incoming mail as staff see it: the quarantine (release or delete), every message's
outcome, and the DNS records outgoing mail needs."""

from email import policy
from email.parser import BytesHeaderParser

from django.conf import settings
from django.contrib import messages
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sportello.core.access import ADMIN, AGENT, staff_required
from sportello.core.params import page_number
from sportello.mail import backends, quarantine
from sportello.mail.models import InboundMessage
from sportello.mail.processing import process

PAGE = 50
MAIL_STAFF = (ADMIN, AGENT)


@staff_required(*MAIL_STAFF)
def inbound_list(request):
    status = request.GET.get("status", InboundMessage.Status.QUARANTINED)
    counts = dict(InboundMessage.objects.values_list("status").annotate(n=Count("pk")).order_by())
    rows = InboundMessage.objects.defer("raw").select_related("ticket")
    if status in InboundMessage.Status.values:
        rows = rows.filter(status=status)
    page = page_number(request)
    rows = list(rows[(page - 1) * PAGE : page * PAGE + 1])
    for row in rows:
        row.reason_text = quarantine.reason_text(row.reason_code)
    return render(
        request,
        "mail/desk/inbound_list.html",
        {
            "rows": rows[:PAGE],
            "has_next": len(rows) > PAGE,
            "page": page,
            "status": status,
            "statuses": [
                (v, label, counts.get(v, 0)) for v, label in InboundMessage.Status.choices
            ],
        },
    )


@staff_required(*MAIL_STAFF)
def inbound_detail(request, pk):
    """The message as the ticket would show it, the reason in the reader's language, and
    the source (headers and raw content) only when asked for."""
    row = get_object_or_404(InboundMessage.objects.select_related("ticket"), pk=pk)
    raw = bytes(row.raw)
    show_source = request.GET.get("source") == "1"
    headers, body = [], ""
    if show_source:
        try:
            parsed = BytesHeaderParser(policy=policy.compat32).parsebytes(raw[:262_144])
            headers = [(name, str(value)[:2000]) for name, value in parsed.items()[:500]]
        except Exception:
            headers = []
        separator = b"\r\n\r\n" if b"\r\n\r\n" in raw else b"\n\n"
        body = raw.split(separator, 1)[-1][:20_000].decode("utf-8", "replace")
    return render(
        request,
        "mail/desk/inbound_detail.html",
        {
            "row": row,
            "reading": quarantine.read(raw, row.reason_code),
            "reason_text": quarantine.reason_text(row.reason_code),
            "show_source": show_source,
            "headers": headers,
            "body": body,
        },
    )


@staff_required(*MAIL_STAFF)
@require_POST
def inbound_release(request, pk):
    """Staff vouch for the sender: the message is processed without the authentication
    check (the other rules still apply)."""
    row = process(get_object_or_404(InboundMessage, pk=pk, status="quarantined").pk,
                  timezone.now(), trust_sender=True)  # fmt: skip
    if row.status == InboundMessage.Status.QUARANTINED:
        messages.error(request, _("Still quarantined: %(reason)s") % {"reason": row.reason})
    else:
        messages.success(
            request, _("Released: %(outcome)s.") % {"outcome": row.get_status_display()}
        )
    return redirect("desk:inbound", pk=row.pk)


@staff_required(*MAIL_STAFF)
@require_POST
def inbound_delete(request, pk):
    get_object_or_404(InboundMessage, pk=pk, status="quarantined").delete()
    messages.success(request, _("Message deleted."))
    return redirect("desk:inbound_list")


@staff_required(*MAIL_STAFF)
def inbound_raw(request, pk):
    row = get_object_or_404(InboundMessage, pk=pk)
    response = HttpResponse(bytes(row.raw), content_type="application/octet-stream")
    response["Content-Disposition"] = f'attachment; filename="message-{row.pk}.eml"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@staff_required(ADMIN)
def mail_dns(request):
    domain, selector = backends.signing_domain()
    return render(
        request,
        "mail/desk/mail_dns.html",
        {
            "domain": domain,
            "selector": selector,
            "dkim": backends.public_key_record(),
            "relay": settings.EMAIL_HOST,
        },
    )
