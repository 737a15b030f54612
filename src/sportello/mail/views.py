from django.shortcuts import get_object_or_404, render

from sportello.core.access import client_required


@client_required
def mail_history(request, client):
    emails = client.emails.for_listing()
    return render(request, "mail/panel/mail_history.html", {"emails": emails[: MAIL_PAGE * 4]})


@client_required
def mail_detail(request, client, pk):
    email = get_object_or_404(client.emails, pk=pk)
    return render(request, "mail/panel/mail_detail.html", {"email": email})


MAIL_PAGE = 50
