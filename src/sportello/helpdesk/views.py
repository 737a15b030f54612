"""The client's tickets: every object is fetched through the client's own tickets."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, prefetch_related_objects
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sportello.core.access import client_required
from sportello.core.params import to_id
from sportello.helpdesk import actions
from sportello.helpdesk.forms import ClientReplyForm, TicketForm
from sportello.helpdesk.models import Attachment, HeldRequest, Message, Ticket
from sportello.helpdesk.uploads import refused_uploads
from sportello.kb.actions import suggestions_followed_by_ticket
from sportello.kb.views import suggestions_for


def attachment_response(attachment: Attachment) -> FileResponse:
    """Always a download, never rendered: HTML from outside must not run in our origin."""
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.filename,
        content_type="application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@client_required
def ticket_list(request, client):
    show = request.GET.get("show", "open")
    tickets = client.tickets.select_related("category", "service")
    tickets = tickets.open() if show == "open" else tickets.exclude(status__in=Ticket.OPEN_STATUSES)
    page = Paginator(tickets, 25).get_page(request.GET.get("page"))
    return render(request, "helpdesk/tickets.html", {"client": client, "page": page, "show": show})


@client_required
def ticket_new(request, client):
    if not client.may_use_helpdesk:
        return render(request, "helpdesk/ticket_no_access.html", {"client": client})
    round_the_clock = actions.support_level(client) == "global"
    form = TicketForm(
        request.POST or None,
        request.FILES or None,
        client=client,
        round_the_clock=round_the_clock,
        initial={"service": request.GET.get("service")},
        refused=refused_uploads(request),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            ticket = actions.open_ticket(
                client,
                category=data["category"],
                service=data["service"],
                subject=data["subject"],
                body=data["description"],
                priority=data.get("priority", "normal"),
                details=form.details(),
                attachments=data["attachments"],
                user=request.user,
                now=timezone.now(),
                request=request,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            suggestions_followed_by_ticket(
                request.user, timezone.now(), session_key=request.session.session_key or ""
            )
            messages.success(
                request,
                _("Ticket %(code)s opened: we have emailed you a copy.") % {"code": ticket.code},
            )
            return redirect("portal:ticket", code=ticket.code)
    kb_suggestions = []
    if form.is_bound and (form.data.get("subject") or form.data.get("description")):
        kb_suggestions = suggestions_for(
            form.data.get("subject", ""), form.data.get("description", ""),
            get_language(), request.user,
        )  # fmt: skip
    return render(
        request,
        "helpdesk/ticket_new.html",
        {
            "client": client,
            "form": form,
            "round_the_clock": round_the_clock,
            "first_answers": actions.expected_first_answers(),
            "kb_suggestions": kb_suggestions,
        },
    )


@client_required
def ticket_detail(request, client, code):
    ticket = get_object_or_404(
        client.tickets.select_related("category", "service").annotate(
            has_held=Exists(HeldRequest.objects.filter(ticket=OuterRef("pk")))
        ),
        code=code,
    )
    if ticket.status == Ticket.Status.MERGED:
        messages.info(
            request, _("This ticket was merged into %(code)s.") % {"code": ticket.merged_into.code}
        )
        return redirect("portal:ticket", code=ticket.merged_into.code)
    form = ClientReplyForm(
        request.POST or None, request.FILES or None, refused=refused_uploads(request)
    )
    if request.method == "POST" and form.is_valid():
        try:
            actions.reply_as_client(
                ticket,
                request.user,
                form.cleaned_data["body"],
                timezone.now(),
                attachments=form.cleaned_data["attachments"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Your answer has been added to the ticket."))
            return redirect("portal:ticket", code=ticket.code)
    history = list(
        ticket.messages.exclude(kind=Message.Kind.NOTE)
        .select_related("author")
        .annotate(has_files=Exists(Attachment.objects.filter(message=OuterRef("pk"))))
    )
    with_files = [message for message in history if message.has_files]
    if with_files:  # most tickets have no files: no query for them
        prefetch_related_objects(with_files, "attachments")
    return render(
        request,
        "helpdesk/ticket.html",
        {
            "client": client,
            "ticket": ticket,
            "history": history,
            "held": ticket.held_requests.all() if ticket.has_held else [],
            "form": form,
            "may_rate": actions.may_rate(ticket),
        },
    )


@client_required
@require_POST
def ticket_close(request, client, code):
    ticket = get_object_or_404(client.tickets, code=code)
    try:
        actions.close_as_client(ticket, request.user, timezone.now())
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(
            request, _("Ticket closed. If the problem comes back, answer here to reopen it.")
        )
    return redirect("portal:ticket", code=ticket.code)


@client_required
@require_POST
def ticket_rate(request, client, code):
    ticket = get_object_or_404(client.tickets, code=code)
    score = to_id(request.POST.get("score"))
    try:
        actions.rate_answers(ticket, request.user, score or 0, timezone.now())
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, _("Thank you for your rating."))
    return redirect("portal:ticket", code=ticket.code)


@client_required
@require_POST
def decide_request(request, client, code, pk):
    ticket = get_object_or_404(client.tickets, code=code)
    held = get_object_or_404(ticket.held_requests, pk=pk)
    confirmed = request.POST.get("decision") == "confirm"
    try:
        actions.decide_held_request(held, request.user, confirmed, timezone.now(), request=request)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(
            request,
            _("Thank you: you confirmed the request.")
            if confirmed
            else _("You rejected the request: it will not be done."),
        )
    return redirect("portal:ticket", code=ticket.code)


@client_required
def attachment_download(request, client, code, pk):
    ticket = get_object_or_404(client.tickets, code=code)
    attachment = get_object_or_404(
        Attachment.objects.exclude(message__kind=Message.Kind.NOTE), message__ticket=ticket, pk=pk
    )
    return attachment_response(attachment)
