"""KB-4: the demo's starter articles, in three languages, found by what clients type."""

import pytest
from django.utils import timezone

from sportello.kb.models import Article, ArticleTranslation
from sportello.kb.search import search
from sportello.kb.starter import ARTICLES, seed_knowledge_base

pytestmark = pytest.mark.django_db


def test_starter_articles_in_three_languages_and_idempotent():
    seed_knowledge_base(timezone.now())
    seed_knowledge_base(timezone.now())
    assert Article.objects.count() == len(ARTICLES) == 8
    for language in ("it", "en", "es"):
        assert ArticleTranslation.objects.published().filter(language=language).count() == 8


@pytest.mark.parametrize(
    "language, query, slug",
    [
        ("it", "porta 143 IMAP STARTTLS", "mail-client-settings"),
        ("en", "IMAP port 143", "mail-client-settings"),
        ("it", "mailbox full", "message-bounced"),
        ("es", "lista negra", "blacklists"),
        ("en", "blacklist mxtoolbox", "blacklists"),
        ("it", "password sicura", "safe-password"),
        ("es", "contraseña segura", "safe-password"),
        ("it", "lucchetto", "missing-padlock"),
        ("en", "mixed content padlock", "missing-padlock"),
        ("es", "certificado SSL", "ssl-certificate"),
        ("it", "segnalare problema posta", "report-an-email-problem"),
    ],
)
def test_starter_articles_are_found(language, query, slug):
    seed_knowledge_base(timezone.now())
    assert search(query, language)[0].article.slug == slug


def test_posta_non_arriva_is_answered():
    seed_knowledge_base(timezone.now())
    slugs = [hit.article.slug for hit in search("posta non arriva", "it", any_word=True)]
    assert "mail-client-settings" in slugs[:3]
