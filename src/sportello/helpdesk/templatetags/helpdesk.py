import re
from decimal import Decimal
from html import unescape
from urllib.parse import urlsplit

from django import template
from django.template.defaultfilters import linebreaksbr
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.html import escape, format_html, urlize
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from sportello.catalog.models import SupportLevel
from sportello.core.formatting import compact_date
from sportello.helpdesk.models import Priority, Ticket

register = template.Library()

MARKDOWN_LINK = re.compile(r"\[([^\]\n]{1,200})\]\((https?://[^\s()]+)\)")


@register.filter
def message_text(text: str):
    """A message as plain text, escaped, with its addresses and [title](address) links
    (as the knowledge-base picker inserts them) made clickable."""
    parts, last = [], 0
    for match in MARKDOWN_LINK.finditer(text):
        parts.append(urlize(text[last : match.start()], nofollow=True, autoescape=True))
        parts.append(format_html('<a href="{}" rel="nofollow">{}</a>', match[2], match[1]))
        last = match.end()
    parts.append(urlize(text[last:], nofollow=True, autoescape=True))
    return linebreaksbr(mark_safe("".join(parts)))


# A client may write a link in any shape; on the staff side each is spelled out.
CLIENT_MARKDOWN_LINK = re.compile(r"\[([^\]\n]{1,200})\]\(([^\s()]{1,2000})\)")
# A link as `urlize` writes it, its text being the address itself.
URLIZED = re.compile(r'<a href="([^"<>]*)" rel="nofollow">([^<>]*)</a>')


def hidden_host(address: str) -> str:
    """The host an address reaches when its text does not plainly show it: behind a user
    name (http://bank.example@evil.example/) or in non-Latin look-alike letters, given in
    the ASCII form browsers use. Empty when the address shows it."""
    try:
        parts = urlsplit(address if "://" in address else "http://" + address)
        host = parts.hostname or ""
    except ValueError:
        return ""
    if host.isascii() and "@" not in parts.netloc:
        return ""
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return host.encode("ascii", "backslashreplace").decode("ascii")


def _spelled_out_link(match) -> str:
    href, shown = match[1], match[2]  # both already escaped by urlize
    host = hidden_host(unescape(shown))
    return format_html(
        '<a href="{}" rel="nofollow noopener noreferrer">{}</a>{}',
        mark_safe(href),
        mark_safe(shown),
        format_html(' <strong class="link-host">[{}]</strong>', host) if host else "",
    )


@register.filter
def client_text(text: str):
    """A client's message as staff read it: escaped, and every link shown as the address it
    leads to, so none can read one thing and lead elsewhere. [title](address) becomes the
    title followed by the address; a host hidden behind a user name or look-alike letters
    is shown beside the address."""
    spelled = CLIENT_MARKDOWN_LINK.sub(r"\1 (\2)", text)
    html = urlize(spelled, nofollow=True, autoescape=True)
    return linebreaksbr(mark_safe(URLIZED.sub(_spelled_out_link, html)))


@register.filter
def event_text(message) -> str:
    """An event of the ticket's history, worded in the reader's language."""
    data = dict(message.event_data)
    if "total" in data:
        data["total"] = number_format(Decimal(data["total"]), 2)
    statuses = dict(Ticket.Status.choices)
    plan_names = dict(SupportLevel.choices)
    ratings = dict(Ticket._meta.get_field("satisfaction").choices or [])
    texts = {
        "status": lambda: (
            _("Status: %(status)s") % {"status": statuses.get(data.get("status", ""))}
        ),
        "reopened": lambda: _("Reopened by the client's answer"),
        "priority": lambda: (
            _("Priority: %(priority)s")
            % {"priority": dict(Priority.choices).get(data.get("priority", ""), "")}
        ),
        "rated": lambda: (
            _("The client rated the answers: %(rating)s")
            % {"rating": ratings.get(int(data.get("score") or 0), "")}
        ),
        "assigned": lambda: (
            _("Assigned to %(name)s") % {"name": data.get("to")}
            if data.get("to")
            else _("No longer assigned")
        ),
        "moved": lambda: _("Moved from “%(old)s” to “%(new)s”") % data,
        "merged_from": lambda: _("Ticket %(code)s (“%(subject)s”) merged into this one") % data,
        "merged_into": lambda: _("Merged into ticket %(code)s") % data,
        "request_held": lambda: (
            _("Request held until confirmed from the panel: %(description)s") % data
        ),
        "request_confirmed": lambda: _("The client confirmed: %(description)s") % data,
        "request_rejected": lambda: _("The client rejected: %(description)s") % data,
        "extra_taken": lambda: _("Taken in charge by %(to)s") % data,
        "extra_estimate": lambda: (
            _("Estimate sent: € %(total)s + VAT, quote to approve") % data
            if data.get("quote")
            else _("Estimate sent: € %(total)s + VAT") % data
        ),
        "extra_quote_approved": lambda: _("The client approved the quote"),
        "extra_quote_refused": lambda: _("The client refused the quote"),
        "extra_not_possible": lambda: _("Closed as not possible: no charge"),
        "extra_billed": lambda: _("Time billed: € %(total)s + VAT") % data,
        "restore_included": lambda: (
            _("Included in your %(plan)s support plan: no charge.")
            % {"plan": plan_names.get(data.get("plan", ""), "")}
        ),
        "restore_extra": lambda: _(
            "Not included in your support plan: extra-contract work, charged from the rate "
            "card for the time it takes. Ask us for a free estimate first if you wish."
        ),
    }
    return texts.get(message.event, lambda: message.event)()


@register.filter
def staff_author(message) -> str:
    """Who wrote a staff answer or note, as staff read it. Deleting a staff account sets
    the author of what they wrote to null and keeps the history."""
    author = message.author
    if author is None:
        return _("former staff member")
    return author.first_name or author.email


@register.filter
def client_status(ticket) -> str:
    """The status as the client reads it."""
    if ticket.status == Ticket.Status.WAITING:
        return _("Waiting for your answer")
    return ticket.get_status_display()


@register.simple_tag
def due_state(ticket, now) -> str:
    return ticket.due_state(now)


@register.simple_tag
def first_answer_state(ticket, now) -> str:
    return ticket.first_answer_state(now)


@register.simple_tag
def sla_mark(state: str) -> str:
    """The marker beside a due time: overdue (red) or due soon (amber); nothing when met.
    Built here rather than by an included template: the queue shows two on each row."""
    if state == "late":
        return format_html('<span class="badge late">{}</span> ', _("overdue"))
    if state == "soon":
        return format_html('<span class="badge soon">{}</span> ', _("due soon"))
    return ""


@register.simple_tag
def queue_rows(tickets: list[Ticket], now) -> str:
    """The rows of the staff queue. Built here rather than in the template: the template
    engine spent about 0.7 ms of CPU on each row's forty lookups, and the labels, the
    address pattern and the choices' names are the same for every row. Only what a row
    says of its ticket is escaped; the rest is written once."""
    label = {
        key: f'data-label="{escape(text)}"'
        for key, text in (
            ("code", _("Code")), ("subject", _("Subject")), ("client", _("Client")),
            ("priority", _("Priority")), ("status", _("Status")),
            ("first", _("First answer due")), ("solution", _("Solution due")),
            ("activity", _("Last activity")), ("assignee", _("Assigned to")),
        )
    }  # fmt: skip
    # A code is letters, digits and hyphens: the address of one is the pattern's.
    address = reverse("desk:ticket", args=["CODE"])
    priorities = {value: escape(label) for value, label in Priority.choices}
    statuses = {value: escape(label) for value, label in Ticket.Status.choices}
    answered, none = escape(_("answered")), '<span class="muted">—</span>'
    marks = {state: sla_mark(state) for state in ("late", "soon", "")}
    choose, opened = _("Choose %(code)s"), _("opened %(when)s")
    rows = []
    for ticket in tickets:
        code = escape(ticket.code)
        url = address.replace("CODE", code)
        if ticket.first_responded_at:
            first = (
                f'<span class="muted" title="{answered} '
                f'{compact_date(ticket.first_responded_at, now)}">✓\u00a0'
                f"{compact_date(ticket.first_response_due, now)}</span>"
            )
        else:
            first = marks.get(ticket.first_answer_state(now), "") + compact_date(
                ticket.first_response_due, now
            )
        about = ticket.category.label if ticket.category else ""
        if ticket.service:
            about = f"{about} · {ticket.service.name}"
        assignee = ticket.assignee
        who = escape(assignee.first_name or assignee.email) if assignee else none
        when = compact_date(ticket.created_at, now, with_time=False)
        due = compact_date(ticket.resolution_due, now)
        priority, status = escape(ticket.priority), escape(ticket.status)
        pick = escape(choose % {"code": ticket.code})
        rows.append(
            f'<tr id="row-{code}">\n'
            f'<td class="pick" data-label=""><input type="checkbox" name="ticket" '
            f'value="{ticket.pk}" form="bulk" aria-label="{pick}"></td>\n'
            f'<td class="mono" {label["code"]}><a href="{url}">{code}</a></td>\n'
            f'<td {label["subject"]}><a href="{url}">{escape(ticket.subject)}</a><br>'
            f'<small class="muted">{escape(about)}</small></td>\n'
            f"<td {label['client']}>{escape(ticket.client.display_name)}</td>\n"
            f'<td {label["priority"]}><span class="badge priority-{priority}">'
            f"{priorities.get(ticket.priority, '')}</span></td>\n"
            f'<td {label["status"]}><span class="badge ticket-{status}">'
            f"{statuses.get(ticket.status, '')}</span></td>\n"
            f'<td class="sla-first" {label["first"]}>{first}</td>\n'
            f'<td class="sla-solution" {label["solution"]}>'
            f"{marks.get(ticket.due_state(now), '')}{due}</td>\n"
            f"<td {label['activity']}>{compact_date(ticket.last_activity_at, now)}<br>"
            f'<small class="muted">{escape(opened % {"when": when})}</small></td>\n'
            f"<td {label['assignee']}>{who}</td>\n</tr>"
        )
    return mark_safe("\n".join(rows))
