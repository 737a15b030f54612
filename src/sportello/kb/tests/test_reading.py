"""KB-1, KB-2: the table of contents, article pages in the reader's language, related."""

import pytest
from django.urls import reverse

from sportello.kb.models import Article, ArticleTranslation, Category

from .conftest import make_article

pytestmark = pytest.mark.django_db


@pytest.fixture
def mail():
    category = Category.objects.create(slug="email", name="Posta", name_en="Email", name_es="")
    return make_article(
        {
            "it": ("Configurare la posta", "Porta **143** STARTTLS."),
            "en": ("Setting up mail", "Port **143** STARTTLS."),
        },
        slug="mail-settings",
        category=category,
    )


def test_table_of_contents_by_category_in_the_readers_language(client, mail):
    make_article({"it": ("Bozza", "x")}, status=ArticleTranslation.Status.DRAFT, slug="draft")
    body = client.get(reverse("kb:index")).content.decode()
    assert "Posta" in body and "Configurare la posta" in body
    assert "Bozza" not in body
    body = client.get(reverse("kb:index"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Email" in body and "Setting up mail" in body


def test_a_missing_language_falls_back_and_offers_the_others(client, mail):
    response = client.get(reverse("kb:article", args=["mail-settings"]), HTTP_ACCEPT_LANGUAGE="es")
    body = response.content.decode()
    assert response.status_code == 200
    assert "Configurare la posta" in body  # no Spanish version: Italian, the default
    assert 'hreflang="en"' in body and 'hreflang="es"' not in body
    assert "<strong>143</strong>" in body


def test_an_explicit_language_shows_that_version(client, mail):
    body = client.get(reverse("kb:article_in", args=["mail-settings", "en"])).content.decode()
    assert "Setting up mail" in body and 'lang="en"' in body
    assert client.get(reverse("kb:article_in", args=["mail-settings", "es"])).status_code == 404


def test_drafts_are_not_readable(client):
    make_article({"it": ("Bozza", "x")}, status=ArticleTranslation.Status.DRAFT, slug="draft")
    assert client.get(reverse("kb:article", args=["draft"])).status_code == 404
    assert client.get(reverse("kb:article", args=["nothing"])).status_code == 404


def test_clients_only_articles_ask_visitors_to_log_in(client, owner):
    make_article({"it": ("Riservato", "Solo clienti")}, slug="private",
                 audience=Article.Audience.CLIENTS)  # fmt: skip
    response = client.get(reverse("kb:article", args=["private"]))
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")
    assert "Riservato" not in client.get(reverse("kb:index")).content.decode()
    client.force_login(owner.owner)
    assert "Riservato" in client.get(reverse("kb:article", args=["private"])).content.decode()
    assert "Riservato" in client.get(reverse("kb:index")).content.decode()


def test_markdown_is_sanitised(client):
    make_article({"it": ("Sicuro", "<script>alert(1)</script> [x](javascript:alert(1))")},
                 slug="safe")  # fmt: skip
    body = client.get(reverse("kb:article", args=["safe"])).content.decode()
    assert "<script>alert" not in body
    assert 'href="javascript' not in body


def test_related_articles_chosen_by_staff_then_similar(client, mail):
    chosen = make_article({"it": ("Password sicura", "Nulla in comune")}, slug="chosen")
    similar = make_article({"it": ("Posta in uscita", "Configurare la posta in uscita")},
                           slug="similar")  # fmt: skip
    unrelated = make_article({"it": ("Fatture", "Pagamenti")}, slug="unrelated")
    mail.related.add(chosen)
    body = client.get(reverse("kb:article", args=["mail-settings"])).content.decode()
    related = body[body.index("kb-related") :]
    assert related.index("Password sicura") < related.index("Posta in uscita")
    assert unrelated.slug not in related and "Fatture" not in related
    assert similar.slug in related


def test_the_search_page(client, mail):
    body = client.get(reverse("kb:search"), {"q": "configurazione"}).content.decode()
    assert "1 articolo trovato" in body and "<mark>Configurare</mark>" in body
    body = client.get(reverse("kb:search"), {"q": "introvabile"}).content.decode()
    assert "Nessun articolo corrisponde a “introvabile”" in body


def test_slugs_of_pages_are_reserved(client):
    from sportello.kb.forms import ArticleForm

    category = Category.objects.create(slug="c", name="C")
    form = ArticleForm({"category": category.pk, "slug": "search", "audience": "public",
                        "position": 0})  # fmt: skip
    assert not form.is_valid() and "slug" in form.errors
