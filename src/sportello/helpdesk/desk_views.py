"""The staff desk's tickets: queues per department and the ticket page. Staff see the
tickets of their departments; administrators see all."""

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import (
    Case,
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
    prefetch_related_objects,
)
from django.forms import Form
from django.http import Http404, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from sportello.accounts.models import User
from sportello.billing.desk_views import can_bill
from sportello.billing.models import Invoice
from sportello.core.access import staff_required
from sportello.core.models import settings_read_once
from sportello.core.navigation import next_url
from sportello.core.params import to_id
from sportello.helpdesk import actions, search, sla
from sportello.helpdesk.forms import (
    AlertSettingsForm,
    HoldForm,
    MergeForm,
    MoveForm,
    NoteForm,
    StaffReplyForm,
)
from sportello.helpdesk.models import (
    Attachment,
    Category,
    Department,
    HeldRequest,
    Message,
    Priority,
    ReplyDraft,
    SavedFilter,
    Ticket,
    TicketPresence,
)
from sportello.helpdesk.uploads import refused_uploads

from .views import attachment_response

PAGE = 50
STATUS_FILTERS = {
    "open": Ticket.OPEN_STATUSES,
    "new": [Ticket.Status.NEW],
    "in_progress": [Ticket.Status.OPEN],
    "waiting": [Ticket.Status.WAITING],
    "closed": [Ticket.Status.CLOSED, Ticket.Status.MERGED],
}


def visible_tickets(user):
    return Ticket.objects.visible_to_staff(user)


def get_ticket(user, code) -> Ticket:
    return get_object_or_404(
        visible_tickets(user).select_related(
            "client__owner", "category", "department", "service__product", "assignee"
        ),
        code=code,
    )


def filtered_queue(request, tickets, now):
    params = request.GET
    statuses = STATUS_FILTERS.get(params.get("status"), Ticket.OPEN_STATUSES)
    due = params.get("due")
    if due in ("late", "soon"):  # only tickets whose clock runs can be late
        statuses = [status for status in statuses if status in Ticket.ON_THE_CLOCK]
    # One status condition: two overlapping ones mislead PostgreSQL's row estimates.
    tickets = tickets.filter(status__in=statuses)
    if params.get("priority") in ("low", "normal", "high"):
        tickets = tickets.filter(priority=params["priority"])
    # Late or soon by either clock: the solution time, or a first answer still owed.
    if due == "late":
        tickets = tickets.filter(
            Q(resolution_due__lte=now)
            | Q(first_responded_at__isnull=True, first_response_due__lte=now)
        )
    elif due == "soon":
        limit = now + Ticket.DUE_SOON
        tickets = (
            tickets.filter(resolution_due__gt=now)
            .exclude(first_responded_at__isnull=True, first_response_due__lte=now)
            .filter(
                Q(resolution_due__lte=limit)
                | Q(first_responded_at__isnull=True, first_response_due__lte=limit)
            )
        )
    assignee = params.get("assignee", "")
    if assignee == "me":
        tickets = tickets.filter(assignee=request.user)
    elif assignee == "none":
        tickets = tickets.filter(assignee__isnull=True)
    category = to_id(params.get("category"))
    if category is not None:
        tickets = tickets.filter(category_id=category)
    return tickets


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
PRIORITY_RANK = Case(
    When(priority=Priority.HIGH, then=Value(3)),
    When(priority=Priority.NORMAL, then=Value(2)),
    default=Value(1),
    output_field=IntegerField(),
)


@dataclass(frozen=True)
class Sort:
    """An order of the queue: a column, then the id, both one way."""

    field: str
    ascending: bool

    @property
    def is_time(self) -> bool:
        return self.field != "priority_rank"


# The columns the queue sorts by, each in its natural direction first; "-name" is the
# other way round. Open tickets come by solution time (`ticket_open_by_due`), closed ones
# latest first (`ticket_by_activity`).
SORT_FIELDS = {
    "due": ("resolution_due", True),
    "first_due": ("first_response_due", True),
    "activity": ("last_activity_at", False),
    "created": ("created_at", False),
    "priority": ("priority_rank", False),
}


def sort_of(value: str | None, closed: bool) -> tuple[str, Sort]:
    """The sort asked for (its name, "-" first when reversed, and its order); the queue's
    own for anything else."""
    name = value or ""
    key, reverse = (name[1:], True) if name.startswith("-") else (name, False)
    if key not in SORT_FIELDS:
        key, reverse = ("activity" if closed else "due"), False
    field, natural = SORT_FIELDS[key]
    return ("-" if reverse else "") + key, Sort(field, natural != reverse)


def cursor_of(ticket: Ticket, sort: Sort) -> str:
    """Where a page starts or ends: the row's place in the queue's order (its sort value,
    a time in microseconds or a rank, then its id)."""
    value = getattr(ticket, sort.field)
    if sort.is_time:
        value = (value - EPOCH) // timedelta(microseconds=1)
    return f"{value}.{ticket.pk}"


def parse_cursor(value: str | None, sort: Sort) -> tuple[datetime | int, int] | None:
    """The (sort value, id) of a cursor; None for anything else, so junk shows the first
    page."""
    number, _, pk = (value or "").partition(".")
    if not (number.lstrip("-").isdigit() and len(number) <= 20 and to_id(pk) is not None):
        return None
    if not sort.is_time:
        return int(number), int(pk)
    try:
        return EPOCH + timedelta(microseconds=int(number)), int(pk)
    except OverflowError:
        return None


def keyset_page(tickets, sort: Sort, params) -> dict:
    """One page of the queue by keyset: the rows after (or before) a cursor in the queue's
    order, so page 1,000 costs what page 1 does."""
    field = sort.field
    if field == "priority_rank":
        tickets = tickets.annotate(priority_rank=PRIORITY_RANK)
    # Forwards is the queue's order; backwards its reverse, read the other way round.
    after, before = (
        parse_cursor(params.get("after"), sort),
        parse_cursor(params.get("before"), sort),
    )
    backwards = after is None and before is not None
    cursor = before if backwards else after
    ascending = sort.ascending != backwards
    order = [field, "id"] if ascending else ["-" + field, "-id"]
    tickets = tickets.order_by(*order)
    if cursor is not None:
        when, pk = cursor
        later, same = ("gt", "gte") if ascending else ("lt", "lte")
        # The first condition alone bounds the index range; the second settles ties.
        tickets = tickets.filter(**{f"{field}__{same}": when}).filter(
            Q(**{f"{field}__{later}": when}) | Q(**{f"id__{later}": pk})
        )
    if field == "priority_rank":
        # No index gives this order: the page's ids first, sorted from the open tickets'
        # index alone (it includes the priority), then only those rows are read.
        ids = list(tickets.values_list("pk", flat=True)[: PAGE + 1])
        rows = list(tickets.filter(pk__in=ids))
    else:
        rows = list(tickets[: PAGE + 1])
    more = len(rows) > PAGE
    rows = rows[:PAGE]
    if backwards:
        rows.reverse()
    has_next = (cursor is not None) if backwards else more
    has_previous = more if backwards else cursor is not None
    return {
        "rows": rows,
        "next": cursor_of(rows[-1], sort) if rows and has_next else "",
        "previous": cursor_of(rows[0], sort) if rows and has_previous else "",
        "first": has_previous,
    }


@staff_required()
def ticket_queue(request):
    now = timezone.now()
    user = request.user
    departments = list(Department.objects.all() if user.is_admin else user.departments.all())
    counts = {
        department: (total, late)
        for department, total, late in visible_tickets(user)
        .open()
        .values_list("department")
        .annotate(total=Count("pk"), late=Count("pk", filter=Ticket.late_at(now)))
        .order_by()
    }
    for department in departments:
        department.open_count, department.late_count = counts.get(department.pk, (0, 0))
    current = request.GET.get("department", "")
    tickets = visible_tickets(user)
    department_id = to_id(current)
    if department_id is not None:
        tickets = tickets.filter(department_id=department_id)
    tickets = filtered_queue(request, tickets, now).select_related(
        "client", "category", "assignee", "service"
    )
    closed = request.GET.get("status") == "closed"
    sort_name, sort = sort_of(request.GET.get("sort"), closed)
    page = keyset_page(tickets, sort, request.GET)
    query = request.GET.copy()
    for name in ("page", "after", "before"):
        query.pop(name, None)
    unsorted = query.copy()
    unsorted.pop("sort", None)
    columns = {}
    for key in SORT_FIELDS:
        # A click on the current column turns its order round.
        unsorted["sort"] = "-" + key if sort_name == key else key
        state = ""
        if sort_name.lstrip("-") == key:
            state = "ascending" if sort.ascending else "descending"
        columns[key] = {"url": "?" + unsorted.urlencode(), "state": state}
    return render(
        request,
        "helpdesk/desk/tickets.html",
        {
            "departments": departments,
            "current": current,
            "tickets": page["rows"],
            "next_cursor": page["next"],
            "previous_cursor": page["previous"],
            "first_page": page["first"],
            "query": query.urlencode(),
            "params": request.GET,
            "now": now,
            "categories": Category.objects.select_related("department").order_by(
                "department__position", "department__name", "department_id", "position", "name"
            ),
            "assignable": assignable_staff(departments),
            "priorities": Priority.choices,
            "back": request.get_full_path(),
            "columns": columns,
            "sort": sort_name,
            "since": (now - EPOCH) // timedelta(microseconds=1),  # for the update banner
            "saved_filters": SavedFilter.objects.filter(user=user),
            "current_params": [
                (name, request.GET[name])
                for name in actions.QUEUE_PARAMS
                if request.GET.get(name) and name != "sort"
            ]
            + [("sort", sort_name)],
            "statuses": [
                ("open", _("Open")),
                ("new", _("New")),
                ("in_progress", _("In progress")),
                ("waiting", _("Waiting for the client")),
                ("closed", _("Closed")),
            ],  # fmt: skip
        },
    )


@staff_required()
def ticket_search(request):
    """Tickets by code, client (email, domain, name) or words of their messages and
    subject; an exact code opens the ticket."""
    found = search.search(request.user, request.GET.get("q"))
    if found.ticket is not None:
        return redirect("desk:ticket", code=found.ticket.code)
    return render(
        request,
        "helpdesk/desk/ticket_search.html",
        {
            "found": found,
            "limit": search.LIMIT,
            "max_query": search.MAX_QUERY,
            "too_long": len(request.GET.get("q", "")) > search.MAX_QUERY,
        },
    )


@staff_required()
def sla_overview(request):
    """The service levels of the departments this user works in (administrators: all)."""
    user = request.user
    departments = list(Department.objects.all() if user.is_admin else user.departments.all())
    return render(
        request,
        "helpdesk/desk/sla.html",
        {"rows": sla.department_figures(departments, timezone.now()), "weeks": sla.WEEKS},
    )


def assignable_staff(departments):
    """Who tickets of these departments may be given to: their agents and the
    administrators (the assignment itself checks each ticket's department)."""
    agents = User.departments.through.objects.filter(department__in=departments)
    return (
        User.objects.filter(is_staff=True, is_active=True)
        .filter(Q(is_superuser=True) | Q(role=User.Role.ADMIN) | Q(pk__in=agents.values("user_id")))
        .order_by("first_name", "email")
    )


BULK_LIMIT = 200  # more than a page of the queue


def bulk_request(request) -> dict:
    """What a bulk action asks for, read from the query or the form, with an error when it
    cannot be done as asked."""
    data = request.POST if request.method == "POST" else request.GET
    ids = {pk for pk in map(to_id, data.getlist("ticket")[:BULK_LIMIT]) if pk is not None}
    operation = data.get("operation", "")
    asked: dict = {
        "ids": ids,
        "operation": operation if operation in actions.BULK_OPERATIONS else "",
        "reason": data.get("reason", "").strip(),
        "error": "",
    }
    if not ids:
        asked["error"] = _("Choose at least one ticket in the queue.")
    elif not asked["operation"]:
        asked["error"] = _("Choose what to do with the tickets.")
    elif operation == "assign":
        value = data.get("assignee", "")
        asked["assignee"] = None
        if value != "none":
            pk = to_id(value)
            if pk is not None:
                staff = User.objects.filter(pk=pk, is_staff=True, is_active=True)
                asked["assignee"] = staff.first()
            if asked["assignee"] is None:
                asked["error"] = _("Choose who to assign the tickets to.")
    elif operation == "move":
        pk = to_id(data.get("category"))
        asked["category"] = (
            Category.objects.select_related("department").filter(pk=pk).first()
            if pk is not None
            else None
        )
        if asked["category"] is None:
            asked["error"] = _("Choose where to move the tickets.")
    elif operation == "priority":
        asked["priority"] = data.get("priority", "")
        if asked["priority"] not in Priority.values:
            asked["error"] = _("Choose a priority.")
    return asked


def bulk_question(asked: dict, count: int) -> str:
    """The confirmation, saying what will happen to how many tickets."""
    operation = asked["operation"]
    if operation == "close":
        return ngettext(
            "Close %(n)s ticket? The client gets the closing notice.",
            "Close %(n)s tickets? The clients get the closing notice.",
            count,
        ) % {"n": count}
    if operation == "assign" and asked["assignee"] is None:
        return ngettext(
            "Leave %(n)s ticket assigned to nobody?",
            "Leave %(n)s tickets assigned to nobody?",
            count,
        ) % {"n": count}
    if operation == "assign":
        person = asked["assignee"]
        return ngettext(
            "Assign %(n)s ticket to %(name)s?", "Assign %(n)s tickets to %(name)s?", count
        ) % {"n": count, "name": person.get_full_name() or person.email}
    if operation == "move":
        category = asked["category"]
        return ngettext(
            "Move %(n)s ticket to %(department)s, category “%(category)s”? Its department's "
            "staff are alerted, and the reason is added as an internal note.",
            "Move %(n)s tickets to %(department)s, category “%(category)s”? Their "
            "department's staff are alerted, and the reason is added as an internal note.",
            count,
        ) % {"n": count, "department": category.department.label, "category": category.label}
    return ngettext(
        "Set the priority of %(n)s ticket to %(priority)s? Its due times are counted again "
        "from its opening with the targets of that priority.",
        "Set the priority of %(n)s tickets to %(priority)s? Their due times are counted again "
        "from their opening with the targets of that priority.",
        count,
    ) % {"n": count, "priority": Priority(asked["priority"]).label}


@staff_required()
def tickets_bulk(request):
    """A bulk action on the tickets chosen in the queue: first a page saying exactly what
    will happen to how many tickets, then, once confirmed, the ticket page's action on each
    ticket in turn, each in its own transaction. Tickets outside this user's departments
    and those a rule refuses are skipped, and the result says why."""
    back = next_url(request, reverse("desk:tickets"))
    asked = bulk_request(request)
    tickets = list(
        visible_tickets(request.user)
        .filter(pk__in=asked["ids"])
        .select_related("client", "category", "department")
        .order_by("code")
    )
    hidden = len(asked["ids"]) - len(tickets)
    confirmed = request.method == "POST" and request.POST.get("confirm") == "1"
    reason_error = ""
    if confirmed and asked["operation"] == "move" and not asked["reason"]:
        reason_error = _("Say why the tickets are moved.")
        confirmed = False
    if confirmed and not asked["error"]:
        now = timezone.now()
        changed, skipped = 0, Counter()
        skipped.update({_("not in your departments"): hidden} if hidden else {})
        for ticket in tickets:
            try:
                done = actions.apply_in_bulk(
                    ticket, request.user, asked["operation"], now,
                    assignee=asked.get("assignee"), category=asked.get("category"),
                    priority=asked.get("priority", ""), reason=asked["reason"], request=request,
                )  # fmt: skip
            except ValidationError as error:
                skipped[error.messages[0]] += 1
                continue
            if done:
                changed += 1
            else:
                skipped[_("already as asked")] += 1
        messages.success(
            request,
            ngettext("%(n)s ticket changed.", "%(n)s tickets changed.", changed) % {"n": changed},
        )
        if skipped:
            total = sum(skipped.values())
            reasons = "; ".join(f"{reason}: {count}" for reason, count in skipped.items())
            messages.warning(
                request,
                ngettext(
                    "%(n)s ticket skipped (%(reasons)s).",
                    "%(n)s tickets skipped (%(reasons)s).",
                    total,
                )
                % {"n": total, "reasons": reasons},
            )
        return redirect(back)
    return render(
        request,
        "helpdesk/desk/tickets_bulk.html",
        {
            "asked": asked,
            "tickets": tickets,
            "hidden": hidden,
            "question": "" if asked["error"] else bulk_question(asked, len(tickets)),
            "reason_error": reason_error,
            "back": back,
        },
    )


@staff_required()
@require_POST
def queue_filter_save(request):
    """Name the queue's current filters and sort; listed beside the queue, for this user
    only."""
    try:
        saved = actions.save_filter(request.user, request.POST.get("name", ""), request.POST)
    except ValidationError as error:
        messages.error(request, error.messages[0])
        query = actions.queue_query(request.POST)
        return redirect(reverse("desk:tickets") + ("?" + query if query else ""))
    messages.success(request, _("Filter “%(name)s” saved.") % {"name": saved.name})
    return redirect(reverse("desk:tickets") + ("?" + saved.query if saved.query else ""))


@staff_required()
@require_POST
def queue_filter_delete(request, pk):
    """Only one's own: another's filter is not found."""
    saved = get_object_or_404(SavedFilter, pk=pk, user=request.user)
    actions.delete_filter(request.user, saved.pk)
    messages.success(request, _("Filter deleted."))
    return redirect("desk:tickets")


def department_staff(ticket: Ticket, now):
    """Who may handle the ticket: the administrators and its department's agents, read from
    the staff-only index (never every login: clients are users too), each with whether they
    have the ticket open and are writing to it."""
    agents = User.departments.through.objects.filter(department_id=ticket.department_id)
    presence = TicketPresence.objects.filter(ticket=ticket, user=OuterRef("pk"))
    return list(
        User.objects.filter(is_staff=True, is_active=True)
        .filter(Q(is_superuser=True) | Q(role=User.Role.ADMIN) | Q(pk__in=agents.values("user_id")))
        .annotate(
            seen_at=Subquery(presence.values("seen_at")[:1]),
            replying_at=Subquery(presence.values("replying_at")[:1]),
        )
        .order_by("first_name", "email")
    )


def present(staff: list, user, now) -> list[actions.Presence]:
    """The collision warning, from the staff list: who else had the ticket open lately."""
    since = now - timedelta(seconds=actions.PRESENCE_SECONDS)
    return [
        {
            "name": person.get_full_name() or person.email,
            "replying": bool(person.replying_at and person.replying_at >= since),
        }
        for person in staff
        if person.pk != user.pk and person.seen_at and person.seen_at >= since
    ]


def mark_seen(ticket: Ticket, staff, now) -> None:
    """This user has the ticket open: one UPDATE of their presence row, which the page's
    pings keep; the row is made on the first visit (a unique constraint keeps it one)."""
    if TicketPresence.objects.filter(ticket=ticket, user=staff).update(seen_at=now):
        return
    try:
        with transaction.atomic():
            TicketPresence.objects.create(ticket=ticket, user=staff, seen_at=now)
    except IntegrityError:  # made at the same moment by the page's ping
        TicketPresence.objects.filter(ticket=ticket, user=staff).update(seen_at=now)


def ticket_for_page(user, code) -> tuple[Ticket, list, list[Category]]:
    """The ticket with what its page shows, in few and cheap queries: the ticket joined only
    with its client and service (its category and department come from the categories the
    move form lists anyway), and this user's unsent draft, then its department's staff,
    which also says whether this user may see it."""
    ticket = get_object_or_404(
        Ticket.objects.select_related("client__owner", "client__tier", "service__product").annotate(
            has_held=Exists(HeldRequest.objects.filter(ticket=OuterRef("pk"))),
            draft=Subquery(
                ReplyDraft.objects.filter(ticket=OuterRef("pk"), agent=user).values("body")[:1]
            ),
        ),
        code=code,
    )
    categories = list(Category.objects.select_related("department"))
    for category in categories:
        if category.pk == ticket.category_id:
            ticket.category = category
        if category.department_id == ticket.department_id:
            ticket.department = category.department
    staff = department_staff(ticket, timezone.now())
    if not user.is_admin and user.pk not in {person.pk for person in staff}:
        raise Http404
    return ticket, staff, categories


@staff_required()
def ticket_detail(request, code):
    with settings_read_once():
        return _ticket_detail(request, code)


def _ticket_detail(request, code):
    now = timezone.now()
    staff = request.user
    if request.method == "POST":
        ticket = get_ticket(staff, code)
    else:
        ticket, assignees, categories = ticket_for_page(staff, code)
    mark_seen(ticket, staff, now)
    reply_initial: dict = {"body": getattr(ticket, "draft", None) or ""}
    language = ticket.client.language
    canned = [
        (reply, actions.render_canned(reply, ticket, language, agent=staff))
        for reply in actions.canned_replies_for(ticket, staff, language)
    ]
    canned_id = to_id(request.GET.get("canned"))
    for reply, text in canned:
        if reply.pk == canned_id:  # without scripts: the page again, the reply box filled
            reply_initial["body"] = text
    forms = {
        "reply": StaffReplyForm(initial=reply_initial),
        "note": NoteForm(),
        "move": MoveForm(initial={"category": ticket.category_id}),
        "merge": MergeForm(),
        "hold": HoldForm(),
    }
    if request.method == "POST":
        question = confirmation(request, ticket)
        if question is not None:
            return render(request, "helpdesk/desk/ticket_confirm.html", question)
        if handle_action(request, ticket, forms, now):
            if not visible_tickets(staff).filter(code=ticket.code).exists():
                return redirect("desk:tickets")  # moved to a department this user is not in
            return redirect("desk:ticket", code=ticket.code)
        ticket, assignees, categories = ticket_for_page(staff, code)
    history = list(
        ticket.messages.select_related("author").annotate(
            has_files=Exists(Attachment.objects.filter(message=OuterRef("pk")))
        )
    )
    with_files = [message for message in history if message.has_files]
    if with_files:  # most tickets have no files: no query for them
        prefetch_related_objects(with_files, "attachments")
    forms["reply"].initial["seen"] = max((message.pk for message in history), default=None)
    forms["move"].fields["category"].choices = [("", "---------")] + [
        (category.pk, category.label) for category in categories
    ]
    client = ticket.client
    return render(
        request,
        "helpdesk/desk/ticket.html",
        {
            "ticket": ticket,
            "history": history,
            "forms": forms,
            "canned": canned,
            "others": present(assignees, staff, now),
            "assignees": assignees,
            "services": client.services.select_related("product").order_by("name"),
            # What the client owes is shown to those who may see the client's billing, as on
            # the client page.
            "open_invoices": (
                client.invoices.filter(status=Invoice.Status.OPEN).order_by("due_on")
                if can_bill(staff)
                else None
            ),
            "held": ticket.held_requests.all() if ticket.has_held else [],
            "other_tickets": client.tickets.open().exclude(pk=ticket.pk)[:10],
            "now": now,
        },
    )


CONFIRMED_FIELDS = ("action", "status", "target", "body", "then", "seen")


def confirmation(request, ticket: Ticket) -> dict | None:
    """What cannot be undone is asked once more, on a page saying what will happen: a
    merge, and closing the ticket (with or without a last answer). None when confirmed,
    or when it is not such an action (mistakes are then reported by the action itself)."""
    data = request.POST
    if data.get("confirmed") == "1":
        return None
    action = data.get("action")
    context: dict = {"ticket": ticket, "files": bool(request.FILES)}
    if action == "merge":
        code = data.get("target", "").strip().upper()
        target = visible_tickets(request.user).filter(code=code).exclude(pk=ticket.pk).first()
        if target is None or target.client_id != ticket.client_id:
            return None
        context.update(
            title=_("Merge %(code)s into %(target)s?") % {"code": ticket.code, "target": code},
            consequences=[
                _("Every message and file of %(code)s moves to %(target)s (%(subject)s).")
                % {"code": ticket.code, "target": code, "subject": target.subject},
                _("%(code)s stays only as a pointer and cannot be reopened or split again.")
                % {"code": ticket.code},
                _("The client is told by email to write in %(target)s.") % {"target": code},
            ],
            button=_("Merge the tickets"),
        )
    elif action == "status" and data.get("status") == Ticket.Status.CLOSED:
        if ticket.status == Ticket.Status.CLOSED:
            return None
        context.update(
            title=_("Close %(code)s?") % {"code": ticket.code},
            consequences=[
                _("The client is told by email that the ticket is closed."),
                _("The solution clock stops; a reply from the client reopens it."),
            ],
            button=_("Close the ticket"),
        )
    elif action == "reply" and data.get("then") == Ticket.Status.CLOSED and data.get("body"):
        context.update(
            title=_("Send the answer and close %(code)s?") % {"code": ticket.code},
            consequences=[
                _("The client receives your answer by email; it cannot be taken back."),
                _("The ticket is closed; a reply from the client reopens it."),
            ],
            button=_("Send and close"),
            body=data.get("body", ""),
        )
    else:
        return None
    context["fields"] = [(name, data[name]) for name in CONFIRMED_FIELDS if name in data]
    return context


def handle_action(request, ticket, forms, now) -> bool:
    """Run the posted action; True when it worked (the page then redirects)."""
    staff = request.user
    action = request.POST.get("action")
    form: Form
    try:
        if action == "reply":
            form = forms["reply"] = StaffReplyForm(
                request.POST, request.FILES, refused=refused_uploads(request)
            )
            if not form.is_valid():
                return False
            latest = ticket.messages.order_by("-id").values_list("id", flat=True).first()
            if form.cleaned_data["seen"] and latest and latest > form.cleaned_data["seen"]:
                form.add_error(
                    None,
                    _(
                        "Something new was added to the ticket while you were writing: "
                        "read it, then send again."
                    ),
                )
                data = request.POST.copy()
                data["seen"] = latest
                form.data = data
                return False
            actions.reply_as_staff(
                ticket,
                staff,
                form.cleaned_data["body"],
                now,
                then=form.cleaned_data["then"],
                attachments=form.cleaned_data["attachments"],
            )
            messages.success(request, _("Your answer has been sent to the client."))
        elif action == "note":
            form = forms["note"] = NoteForm(
                request.POST, request.FILES, refused=refused_uploads(request)
            )
            if not form.is_valid():
                return False
            actions.add_note(
                ticket, staff, form.cleaned_data["note"], now, form.cleaned_data["attachments"]
            )
            messages.success(request, _("Note added."))
        elif action == "status":
            actions.set_status(ticket, staff, request.POST.get("status", ""), now)
            messages.success(request, _("Status changed."))
        elif action == "assign":
            assignee_id = to_id(request.POST.get("assignee"))
            assignee = (
                User.objects.filter(pk=assignee_id, is_staff=True).first()
                if assignee_id is not None
                else None
            )
            actions.assign(ticket, staff, assignee, now)
            messages.success(request, _("Assignment saved."))
        elif action == "move":
            form = forms["move"] = MoveForm(request.POST)
            if not form.is_valid():
                return False
            actions.move(
                ticket,
                staff,
                form.cleaned_data["category"],
                form.cleaned_data["reason"],
                now,
                request=request,
            )
            messages.success(request, _("Ticket moved."))
        elif action == "merge":
            form = forms["merge"] = MergeForm(request.POST)
            if not form.is_valid():
                return False
            target = (
                visible_tickets(staff)
                .filter(code=form.cleaned_data["target"].strip().upper())
                .first()
            )
            if target is None:
                form.add_error("target", _("No ticket with this code."))
                return False
            actions.merge(ticket, target, staff, now, request=request)
            messages.success(request, _("Merged into %(code)s.") % {"code": target.code})
            ticket.code = target.code  # the redirect goes to the ticket that remains
        elif action == "hold":
            form = forms["hold"] = HoldForm(request.POST)
            if not form.is_valid():
                return False
            actions.hold_request(ticket, staff, form.cleaned_data["description"], now)
            messages.success(request, _("The client has been asked to confirm from the panel."))
        else:
            raise Http404
    except ValidationError as error:
        messages.error(request, error.messages[0])
        return False
    return True


@staff_required()
@require_POST
def presence(request, code):
    """Called every few seconds by the ticket page: records this staff member and answers
    with who else has the ticket open or is writing."""
    ticket = get_ticket(request.user, code)
    now = timezone.now()
    actions.record_presence(ticket, request.user, now, replying=request.POST.get("replying") == "1")
    return render(
        request,
        "helpdesk/desk/_ticket_presence.html",
        {"others": actions.others_present(ticket, request.user, now)},
    )


LIVE_MESSAGES = 50  # one poll's worth; more than that and the page is reloaded


@staff_required()
def ticket_updates(request, code):
    """Polled by the open ticket page: the messages added after the last one it shows
    (client replies, other agents' answers and notes), rendered as the page renders them.
    The ticket by its code, then its newest messages by the message index."""
    ticket = get_ticket(request.user, code)
    after = to_id(request.GET.get("after")) or 0
    rows = list(
        Message.objects.filter(ticket=ticket, pk__gt=after)
        .select_related("author")
        .annotate(has_files=Exists(Attachment.objects.filter(message=OuterRef("pk"))))
        .order_by("pk")[: LIVE_MESSAGES + 1]
    )
    with_files = [message for message in rows if message.has_files]
    if with_files:
        prefetch_related_objects(with_files, "attachments")
    state = {}
    if rows:
        # Something happened: the status, priority and assignment the page shows are drawn
        # again too, since a colleague's change or a client's reply may have moved them.
        # Without the request, so the page's context processors and their queries do not run
        # again: the side panel needs only its user and the form token.
        context = {
            "ticket": ticket,
            "assignees": assignable_staff([ticket.department_id]),
            "request": request,
            "csrf_token": get_token(request),
        }
        state = {
            "badges": render_to_string("helpdesk/desk/_ticket_badges.html", context),
            "handle": render_to_string("helpdesk/desk/_ticket_handle.html", context),
        }
    return JsonResponse(
        {
            **state,
            "messages": [
                {
                    "id": message.pk,
                    "kind": message.kind,
                    "mine": message.author_id == request.user.pk,
                    "html": render_to_string(
                        "helpdesk/desk/_message.html",
                        {"message": message, "ticket": ticket},
                        request=request,
                    ),
                }
                for message in rows[:LIVE_MESSAGES]
            ],
            "more": len(rows) > LIVE_MESSAGES,
            "status": ticket.status,
        }
    )


@staff_required()
def queue_updates(request):
    """Polled by the queue page: how many of this user's tickets changed since the page
    was drawn (`since`, microseconds since 1970, as the page gave it)."""
    number = request.GET.get("since", "")
    if not (number.isascii() and number.isdigit() and len(number) <= 20):
        return JsonResponse({"count": 0, "text": ""})
    since = EPOCH + timedelta(microseconds=min(int(number), 2**53))
    count = visible_tickets(request.user).filter(last_activity_at__gt=since).count()
    text = ngettext(
        "%(n)s ticket new or updated — refresh",
        "%(n)s tickets new or updated — refresh",
        count,
    ) % {"n": count}
    return JsonResponse({"count": count, "text": text if count else ""})


@staff_required()
def ticket_alerts(request):
    """Polled on every desk page of staff who want browser alerts: client replies to the
    tickets assigned to them after the last message id the browser has heard of (none the
    first time: it only learns where to start)."""
    after = to_id(request.GET.get("after"))
    latest = Message.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    if after is None or request.user.ticket_alerts == User.TicketAlerts.EMAIL:
        return JsonResponse({"last": latest, "alerts": []})
    rows = list(
        Message.objects.filter(
            pk__gt=after, kind=Message.Kind.CLIENT, ticket__assignee=request.user
        )
        .select_related("ticket__client")
        .order_by("pk")[:10]
    )
    return JsonResponse(
        {
            "last": max([latest, *(message.pk for message in rows)]),
            "alerts": [
                {
                    "title": _("%(client)s replied on %(code)s")
                    % {"client": message.ticket.client.display_name, "code": message.ticket.code},
                    "body": message.body[:200],
                    "url": reverse("desk:ticket", args=[message.ticket.code])
                    + f"#message-{message.pk}",
                    "tag": message.ticket.code,
                }
                for message in rows
            ],
        }
    )


@staff_required()
def alert_settings(request):
    """Each staff member chooses how they hear of client replies: email, browser or both."""
    form = AlertSettingsForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Your notification settings have been saved."))
        return redirect("desk:alert_settings")
    return render(request, "helpdesk/desk/alert_settings.html", {"form": form})


@staff_required()
def neighbour(request, code, direction):
    """The next or previous open ticket in the queue's own order (solution time, then
    number) among those this user sees: the j/k keys of the ticket page. At either end,
    back to the queue."""
    ticket = get_ticket(request.user, code)
    later = direction == "next"
    after, same = ("gt", "gte") if later else ("lt", "lte")
    when = ticket.resolution_due
    found = (
        visible_tickets(request.user)
        .open()
        .filter(**{f"resolution_due__{same}": when})
        .filter(Q(**{f"resolution_due__{after}": when}) | Q(**{f"id__{after}": ticket.pk}))
        .order_by(*(["resolution_due", "id"] if later else ["-resolution_due", "-id"]))
        .values_list("code", flat=True)
        .first()
    )
    if found is None:
        messages.info(
            request,
            _("This was the last ticket of the queue.")
            if later
            else _("This was the first ticket of the queue."),
        )
        return redirect("desk:tickets")
    return redirect("desk:ticket", code=found)


@staff_required()
@require_POST
def draft_save(request, code):
    """Called by the ticket page a few seconds after the agent stops typing: keeps the
    reply box's text for this agent and ticket."""
    ticket = get_ticket(request.user, code)
    now = timezone.now()
    actions.save_draft(ticket, request.user, request.POST.get("body", ""), now)
    return JsonResponse({"saved": timezone.localtime(now).strftime("%H:%M")})


@staff_required()
def attachment_download(request, code, pk):
    ticket = get_ticket(request.user, code)
    return attachment_response(get_object_or_404(Attachment, message__ticket=ticket, pk=pk))
