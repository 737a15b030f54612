"""Mail to staff: the members of the alert department, each in their own language."""

from django.conf import settings

from sportello.accounts.models import User
from sportello.core.models import Provider
from sportello.mail.actions import queue_rendered, render_email

from .models import ServerSettings


def alert_staff(template: str, context: dict) -> int:
    department = ServerSettings.current().alert_department
    staff = User.objects.filter(is_active=True, is_staff=True)
    staff = (
        staff.filter(departments=department)
        if department
        else staff.filter(departments__code="helpdesk")
    )
    context = {"provider": Provider.current(), "site_url": settings.SITE_URL, **context}
    sent = 0
    for user in staff.distinct().order_by("pk"):
        subject, text, html = render_email(template, {**context, "staff": user}, user.language)
        # No client on the row: staff alerts are not part of the client's mail history.
        queue_rendered(
            to_address=user.email,
            template=template,
            subject=subject,
            body_text=text,
            body_html=html,
            language=user.language,
            user=user,
        )
        sent += 1
    return sent
