from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from sportello.accounts import actions as account_actions
from sportello.accounts.forms import ContactAddressForm, ProfileForm

from .decorators import client_required

MAIL_PAGE = 50


@client_required
def dashboard(request, client):
    services = list(client.services.for_listing())
    emails = list(client.emails.for_listing()[:10])
    return render(
        request,
        "portal/dashboard.html",
        {"client": client, "services": services, "emails": emails},
    )


@client_required
def service_detail(request, client, pk):
    service = get_object_or_404(client.services.select_related("product", "parent"), pk=pk)
    addons = service.addons.select_related("product")
    return render(request, "portal/service.html", {"service": service, "addons": addons})


@client_required
def mail_history(request, client):
    emails = client.emails.for_listing()
    return render(request, "portal/mail_history.html", {"emails": emails[: MAIL_PAGE * 4]})


@client_required
def mail_detail(request, client, pk):
    email = get_object_or_404(client.emails, pk=pk)
    return render(request, "portal/mail_detail.html", {"email": email})


@client_required
def profile(request, client):
    form = ProfileForm(request.POST or None, instance=client)
    if request.method == "POST" and form.is_valid():
        account_actions.update_profile(request, client, form)
        messages.success(request, _("Your profile has been saved."))
        return redirect("portal:profile")
    return render(request, "portal/profile.html", {"form": form, "client": client})


@client_required
def contact_address(request, client):
    form = ContactAddressForm(request.POST or None, client=client)
    if request.method == "POST" and form.is_valid():
        new_email = form.cleaned_data["email"]
        account_actions.request_contact_change(request, client, new_email)
        messages.success(
            request,
            _("We sent a confirmation link to %(email)s. The address changes when you open it.")
            % {"email": new_email},
        )
        return redirect("portal:contact_address")
    return render(
        request,
        "portal/contact_address.html",
        {
            "form": form,
            "client": client,
            "pending": account_actions.pending_contact_change(client),
            "current_hosted": account_actions.hosted_domain_of(client, client.contact_email),
        },
    )
