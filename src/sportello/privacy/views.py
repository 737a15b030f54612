"""The client's page about their personal data: a copy of everything, or erasure."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sportello.core.access import client_required

from . import actions
from .archive import archive_path
from .models import DataRequest


@client_required
def privacy(request, client):
    requests = client.data_requests.all()[:10]
    return render(
        request,
        "privacy/privacy.html",
        {
            "client": client,
            "requests": requests,
            "export_pending": client.data_requests.filter(
                kind=DataRequest.Kind.EXPORT, status=DataRequest.Status.PENDING
            ).exists(),
            "erasure_pending": client.data_requests.filter(
                kind=DataRequest.Kind.ERASURE, status=DataRequest.Status.PENDING
            ).exists(),
            "blockers": actions.erasure_blockers(client),
            "retention_years": actions.retention_years(),
        },
    )


@client_required
@require_POST
def request_export(request, client):
    try:
        actions.request_export(client, timezone.now(), request=request)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(
            request,
            _("We are preparing your data: you will receive an email with the link when it is "
              "ready."),
        )  # fmt: skip
    return redirect("portal:privacy")


@client_required
@require_POST
def request_erasure(request, client):
    if not request.POST.get("confirm"):
        messages.error(request, _("Tick the box to confirm that you want your data erased."))
        return redirect("portal:privacy")
    try:
        actions.request_erasure(client, timezone.now(), request=request)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(
            request, _("Your request has reached us: we will write to you when it is done.")
        )
    return redirect("portal:privacy")


@client_required
def download_export(request, client, pk):
    data_request = get_object_or_404(
        client.data_requests, pk=pk, kind=DataRequest.Kind.EXPORT,
        status=DataRequest.Status.READY,
    )  # fmt: skip
    if data_request.expires_at and data_request.expires_at <= timezone.now():
        raise Http404
    path = archive_path(data_request)
    if not data_request.archive or not path.exists():
        raise Http404
    day = timezone.localdate(data_request.completed_at).isoformat()
    return FileResponse(
        path.open("rb"), as_attachment=True, filename=_("my-data-%(day)s.zip") % {"day": day},
        content_type="application/zip",
    )  # fmt: skip
