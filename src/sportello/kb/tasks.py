from django.utils import timezone
from huey.contrib.djhuey import db_task

from . import actions
from .models import NewsItem


@db_task()
def mail_news_now(news_id: int) -> int:
    """Staff asked for a published news item to be mailed: do not wait for the daily run."""
    news = NewsItem.objects.filter(pk=news_id).first()
    return actions.mail_news(news, timezone.now()) if news else 0
