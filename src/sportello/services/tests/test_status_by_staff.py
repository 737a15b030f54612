"""Staff suspend, reactivate and terminate a service from the client's page in the desk."""

import pytest
from django.urls import reverse

from sportello import testing
from sportello.mail.models import OutboundEmail
from sportello.services.models import ProvisioningTask, Service

pytestmark = pytest.mark.django_db


def test_suspend_reactivate_terminate_from_the_desk(client):
    customer = testing.make_client("servizi@example.org", name="Rita R")
    service = testing.make_service(customer, name="rita.example")
    client.force_login(testing.make_staff())
    page = client.get(reverse("desk:client", args=[customer.pk])).content.decode()
    suspend = reverse("desk:service_suspend", args=[service.pk])
    assert suspend in page and reverse("desk:service_terminate", args=[service.pk]) in page
    client.post(suspend)
    assert Service.objects.get(pk=service.pk).status == Service.Status.SUSPENDED
    tasks = ProvisioningTask.objects.filter(service=service)
    assert tasks.filter(action=ProvisioningTask.Action.SUSPEND).exists()
    page = client.get(reverse("desk:client", args=[customer.pk])).content.decode()
    assert reverse("desk:service_unsuspend", args=[service.pk]) in page
    client.post(reverse("desk:service_unsuspend", args=[service.pk]))
    assert Service.objects.get(pk=service.pk).status == Service.Status.ACTIVE
    client.post(reverse("desk:service_terminate", args=[service.pk]))
    assert Service.objects.get(pk=service.pk).status == Service.Status.TERMINATED
    # Not allowed any more: the page says why, nothing changes.
    answer = client.post(reverse("desk:service_unsuspend", args=[service.pk]), follow=True)
    assert "rita.example" in answer.content.decode()
    assert Service.objects.get(pk=service.pk).status == Service.Status.TERMINATED


def test_the_client_is_told_in_their_language(client):
    customer = testing.make_client("servicios@example.es", name="Lucía G", language="es")
    service = testing.make_service(customer, name="lucia.example")
    client.force_login(testing.make_staff())
    client.post(reverse("desk:service_suspend", args=[service.pk]))
    client.post(reverse("desk:service_unsuspend", args=[service.pk]))
    client.post(reverse("desk:service_terminate", args=[service.pk]))
    mails = OutboundEmail.objects.filter(template="service_status_by_staff").order_by("pk")
    assert [m.to_address for m in mails] == ["servicios@example.es"] * 3
    assert [m.subject.split("] ", 1)[1] for m in mails] == [
        "lucia.example ha sido suspendido",
        "lucia.example vuelve a estar activo",
        "lucia.example se ha dado de baja",
    ]
    assert "Nuestro equipo ha suspendido" in mails[0].body_text
    assert "/panel/tickets/" in mails[0].body_text
