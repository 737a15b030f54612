from django import template
from django.utils import timezone

from sportello.kb.actions import latest_news
from sportello.kb.views import reader_language

register = template.Library()


@register.inclusion_tag("kb/_news_block.html")
def news_block(limit=3):
    """The latest news in the reader's language, for the client dashboard (KB-3)."""
    return {"news_items": latest_news(reader_language(), timezone.now(), limit)}
