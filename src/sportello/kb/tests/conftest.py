import itertools

import pytest
from django.utils import timezone

from sportello.kb.models import Article, ArticleTranslation, Category

_seq = itertools.count(1)


def make_article(versions: dict, *, slug=None, category=None, audience=Article.Audience.PUBLIC,
                 status=ArticleTranslation.Status.PUBLISHED, **fields) -> Article:  # fmt: skip
    """An article with a translation per language: {language: (title, body)}."""
    category = (
        category
        or Category.objects.get_or_create(
            slug="general",
            defaults={"name": "Generale", "name_en": "General", "name_es": "General"},
        )[0]
    )
    article = Article.objects.create(
        slug=slug or f"article-{next(_seq)}", category=category, audience=audience, **fields
    )
    for language, (title, body) in versions.items():
        ArticleTranslation.objects.create(
            article=article,
            language=language,
            title=title,
            body=body,
            status=status,
            published_at=timezone.now() if status == ArticleTranslation.Status.PUBLISHED else None,
        )
    return article


@pytest.fixture
def article_factory(db):
    return make_article
