"""Staff see clients' personal-data requests and carry out or refuse erasures."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from sportello.core import access
from sportello.core.access import staff_required
from sportello.core.params import to_search

from . import actions
from .models import DataRequest, LegalHold


@staff_required(access.ADMIN)
def data_requests(request):
    show = request.GET.get("show") or "pending"
    rows = DataRequest.objects.select_related("client", "handled_by")
    if show == "pending":
        rows = rows.filter(status=DataRequest.Status.PENDING)
    else:
        show = "all"
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(request, "privacy/desk/requests.html", {"page": page, "show": show})


@staff_required(access.ADMIN)
def data_request(request, pk):
    row = get_object_or_404(DataRequest.objects.select_related("client__owner"), pk=pk)
    if request.method == "POST":
        try:
            if request.POST.get("decision") == "erase":
                held = actions.carry_out_erasure(row, request.user, timezone.now(),
                                                 request=request)  # fmt: skip
                messages.success(
                    request,
                    _("The account is erased; %(count)s records are kept until their release "
                      "date.") % {"count": held},
                )  # fmt: skip
            elif request.POST.get("decision") == "refuse":
                note = to_search(request.POST.get("note"), 2000)
                if not note:
                    raise ValidationError(_("Say why the request is refused."))
                actions.refuse_erasure(row, request.user, note, timezone.now())
                messages.success(request, _("The request is refused."))
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        return redirect("desk:data_request", pk=row.pk)
    return render(
        request,
        "privacy/desk/request.html",
        {
            "row": row,
            "blockers": actions.erasure_blockers(row.client)
            if row.status == DataRequest.Status.PENDING else [],
            "holds": LegalHold.objects.filter(client=row.client)[:200],
        },
    )  # fmt: skip
