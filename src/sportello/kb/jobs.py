"""Scheduled work of the announcements."""

from datetime import datetime

from django.db.models import QuerySet

from sportello.automation.registry import Counts, job

from . import actions
from .models import NewsItem


def news_to_mail(now: datetime) -> QuerySet[NewsItem]:
    return NewsItem.objects.filter(mail_clients=True, mailing_done_at=None, publish_at__lte=now)


@job("news_mailing")
def news_mailing(now: datetime, dry_run: bool = False) -> Counts:
    """News to be mailed whose publish date has come: each client gets it once."""
    due = list(news_to_mail(now))
    if dry_run:
        return {"news": len(due)}
    return {"news": len(due), "emails": sum(actions.mail_news(news, now) for news in due)}
