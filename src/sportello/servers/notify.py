"""Mail to staff: the members of the alert department, each in their own language and
greeted by name."""

from typing import Any

from django.db.models import QuerySet

from sportello.accounts.models import User
from sportello.mail.actions import queue_to_staff

from .models import ServerSettings


def server_staff() -> QuerySet[User]:
    """The staff who look after servers: the department set in the server settings, else
    the Helpdesk department."""
    department = ServerSettings.current().alert_department
    staff = User.objects.filter(is_active=True, is_staff=True)
    return (
        staff.filter(departments=department)
        if department
        else staff.filter(departments__code="helpdesk")
    )


def alert_staff(template: str, context: dict[str, Any]) -> int:
    staff = server_staff().distinct().order_by("pk")
    return len(queue_to_staff(staff, template, context, personal=True))
