"""A ticket opened by staff on behalf of a client (a phone call, a counter visit): the same
rules as the client's own, through `actions.open_ticket` with the staff channel."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sportello.billing.desk_forms import ClientField
from sportello.core.access import ADMIN, AGENT, staff_required
from sportello.core.params import to_id

from . import actions
from .forms import SubjectField
from .models import Category, Priority, Ticket


class StaffTicketForm(forms.Form):
    client = ClientField(
        label=gettext_lazy("Client"),
        help_text=gettext_lazy("Type the name, email, VAT number or a domain and choose."),
    )
    category = forms.ModelChoiceField(
        label=gettext_lazy("Category"), queryset=Category.objects.none(), empty_label=None
    )
    service = forms.CharField(
        label=gettext_lazy("Service or domain"),
        required=False,
        max_length=200,
        help_text=gettext_lazy("Its name, as on the client's page; empty for a general question."),
    )
    priority = forms.ChoiceField(
        label=gettext_lazy("Priority"),
        choices=[(Priority.NORMAL, gettext_lazy("Normal")), (Priority.LOW, gettext_lazy("Low"))],
    )
    subject = SubjectField(label=gettext_lazy("Subject"), max_length=200)
    description = forms.CharField(
        label=gettext_lazy("What the client asks"), widget=forms.Textarea(attrs={"rows": 8})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = Category.objects.filter(active=True).select_related(
            "department"
        )
        self.fields["category"].label_from_instance = lambda c: f"{c.department.label} › {c.label}"

    def clean(self):
        data = super().clean()
        client, name = data.get("client"), (data.get("service") or "").strip()
        data["service"] = None
        if client is not None and name:
            service = client.services.filter(name__iexact=name).first()
            if service is None:
                self.add_error("service", _("This client has no service with this name."))
            data["service"] = service
        return data


@staff_required(ADMIN, AGENT)
def ticket_new(request):
    initial = {}
    client_id = to_id(request.GET.get("client"))
    if client_id is not None:
        initial["client"] = client_id
    form = StaffTicketForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            ticket = actions.open_ticket(
                data["client"], category=data["category"], subject=data["subject"],
                body=data["description"], now=timezone.now(), service=data["service"],
                priority=data["priority"], channel=Ticket.Channel.STAFF, user=request.user,
                request=request,
            )  # fmt: skip
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                for field, errors in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                form.add_error(None, error.messages)
        else:
            messages.success(request, _("Ticket %(code)s opened.") % {"code": ticket.code})
            return redirect("desk:ticket", code=ticket.code)
    return render(request, "helpdesk/desk/ticket_new.html", {"form": form})
