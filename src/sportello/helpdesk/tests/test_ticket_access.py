"""Who may reach which ticket and attachment: the owner, another client, staff of another
department, an administrator."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from sportello.accounts.models import User
from sportello.helpdesk.models import Attachment, Department
from sportello.testing import make_staff, make_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket(owner):
    upload = SimpleUploadedFile("page.txt", b"<html><script>alert(1)</script></html>")
    return make_ticket(owner, attachments=[upload])


def client_urls(ticket):
    attachment = Attachment.objects.get(message__ticket=ticket)
    return [
        reverse("portal:ticket", args=[ticket.code]),
        reverse("portal:ticket_attachment", args=[ticket.code, attachment.pk]),
    ]


def desk_urls(ticket):
    attachment = Attachment.objects.get(message__ticket=ticket)
    return [
        reverse("desk:ticket", args=[ticket.code]),
        reverse("desk:ticket_attachment", args=[ticket.code, attachment.pk]),
    ]


def test_owner_reaches_the_ticket_and_its_attachment(client, owner, ticket):
    client.force_login(owner.owner)
    for url in client_urls(ticket):
        assert client.get(url).status_code == 200, url


def test_attachments_are_always_downloads(client, owner, ticket):
    client.force_login(owner.owner)
    response = client.get(client_urls(ticket)[1])
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "application/octet-stream"


def test_another_client_gets_not_found(client, other_client, ticket):
    client.force_login(other_client.owner)
    for url in client_urls(ticket):
        assert client.get(url).status_code == 404, url
    assert ticket.code not in client.get(reverse("portal:tickets")).content.decode()
    decide = reverse("portal:decide_request", args=[ticket.code, 1])
    assert client.post(decide, {"decision": "confirm"}).status_code == 404


def test_clients_cannot_use_the_desk(client, owner, ticket):
    client.force_login(owner.owner)
    for url in desk_urls(ticket):
        assert client.get(url).status_code == 403, url


def test_staff_of_another_department_gets_not_found(client, ticket):
    sales = Department.objects.get(code="sales")
    client.force_login(make_staff(departments=[sales]))
    for url in desk_urls(ticket):
        assert client.get(url).status_code == 404, url
    queue = client.get(reverse("desk:tickets"), {"status": "open"}).content.decode()
    assert ticket.code not in queue


def test_staff_of_the_department_and_admins_reach_it(client, ticket):
    for staff in (
        make_staff(departments=[ticket.department]),
        make_staff(User.Role.ADMIN),
    ):
        client.force_login(staff)
        for url in desk_urls(ticket):
            assert client.get(url).status_code == 200, url


def test_notes_attachments_are_not_served_to_the_client(client, owner, ticket):
    from django.utils import timezone

    from sportello.helpdesk.actions import add_note

    staff = make_staff(departments=[ticket.department])
    note = add_note(ticket, staff, "log interno", timezone.now(),
                    [SimpleUploadedFile("interno.txt", b"segreto")])  # fmt: skip
    attachment = note.attachments.get()
    client.force_login(owner.owner)
    url = reverse("portal:ticket_attachment", args=[ticket.code, attachment.pk])
    assert client.get(url).status_code == 404
