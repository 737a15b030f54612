"""The SQLite search index follows every save of a translation, from any screen (the desk,
the admin, the demo), so it cannot drift from the articles."""

from django.db.models.signals import post_delete, post_migrate, post_save
from django.dispatch import receiver

from . import search
from .models import Article, ArticleTranslation


@receiver(post_save, sender=ArticleTranslation)
def index_translation(sender, instance, raw=False, **kwargs):
    if not raw:
        search.index_translations([instance])


@receiver(post_delete, sender=ArticleTranslation)
def unindex_translation(sender, instance, **kwargs):
    search.unindex_translation(instance.pk)


@receiver(post_save, sender=Article)
def reindex_article(sender, instance, raw=False, created=False, **kwargs):
    # Its audience is part of the index.
    if not raw and not created:
        search.index_translations(instance.translations.select_related("article"))


@receiver(post_migrate)
def drop_orphans(sender, app_config=None, using="default", **kwargs):
    # `flush` (between transactional tests) empties the tables, not the FTS index.
    if app_config is not None and app_config.label == "kb":
        search.drop_orphans(using)
