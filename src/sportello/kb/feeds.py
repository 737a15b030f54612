"""An Atom feed of the news per language (KB-3)."""

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.http import Http404
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _

from sportello.core.models import Provider

from .models import LANGUAGE_CODES, NewsTranslation

FEED_ITEMS = 30


class NewsFeed(Feed):
    feed_type = Atom1Feed

    def get_object(self, request, language):
        if language not in LANGUAGE_CODES:
            raise Http404
        return language

    def title(self, language):
        with translation.override(language):
            return _("%(provider)s news") % {"provider": Provider.current().name}

    def subtitle(self, language):
        with translation.override(language):
            return _("Announcements to our clients")

    def link(self, language):
        return reverse("kb:news")

    def feed_url(self, language):
        return reverse("kb:news_feed", args=[language])

    def feed_guid(self, language):
        return f"{settings.SITE_URL}{self.feed_url(language)}"

    def items(self, language):
        return (
            NewsTranslation.objects.filter(language=language, news__publish_at__lte=timezone.now())
            .select_related("news")
            .order_by("-news__publish_at", "-news_id")[:FEED_ITEMS]
        )

    def item_title(self, item):
        return item.title

    def item_description(self, item):
        return item.body_html

    def item_link(self, item):
        return reverse("kb:news_item_in", args=[item.news_id, item.language])

    def item_pubdate(self, item):
        return item.news.publish_at

    def item_updateddate(self, item):
        return item.news.publish_at
