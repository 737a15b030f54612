import logging

from django.utils import timezone
from huey.contrib.djhuey import db_task

from sportello.core.logs import counted

from . import actions
from .models import NewsItem

log = logging.getLogger(__name__)


@db_task()
def mail_news_now(news_id: int) -> int:
    """Staff asked for a published news item to be mailed: do not wait for the daily run."""
    news = NewsItem.objects.filter(pk=news_id).first()
    queued = actions.mail_news(news, timezone.now()) if news else 0
    if queued:
        log.info("news %s: queued %s to clients", news_id, counted(queued, "email"))
    return queued
