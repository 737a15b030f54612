"""Full-text search in each language: runs on SQLite (FTS5) and, with DATABASE_URL, on
PostgreSQL (tsvector + GIN); the same assertions hold on both."""

import pytest

from sportello.kb.models import Article, ArticleTranslation
from sportello.kb.search import search

from .conftest import make_article

pytestmark = pytest.mark.django_db


def slugs(hits):
    return [hit.article.slug for hit in hits]


@pytest.fixture
def mail_articles():
    make_article(
        {
            "it": ("La posta non arriva", "Se i messaggi non arrivano, controlla la casella."),
            "en": ("Mail does not arrive", "If messages are not arriving, check the mailbox."),
            "es": ("El correo no llega", "Si los mensajes no llegan, compruebe el buzón."),
        },
        slug="mail-not-arriving",
    )
    make_article(
        {
            "it": ("Qualita del servizio", "Misuriamo la qualita e la velocità dei server."),
            "en": ("Service quality", "We measure the quality and speed of the servers."),
            "es": ("Calidad del servicio", "Medimos la calidad y la velocidad de los servidores."),
        },
        slug="quality",
    )
    make_article(
        {
            "it": ("Certificati SSL", "Un certificato protegge il sito. La posta non c'entra."),
            "en": ("SSL certificates", "A certificate protects the site. Mail is unrelated."),
            "es": ("Certificados SSL", "Un certificado protege el sitio. El correo no influye."),
        },
        slug="ssl",
    )


@pytest.mark.parametrize(
    "language, query",
    [("it", "arrivato"), ("en", "arrived"), ("es", "llegaron")],
)
def test_stemming_finds_other_forms_of_a_word(mail_articles, language, query):
    assert slugs(search(query, language)) == ["mail-not-arriving"]


@pytest.mark.parametrize(
    "language, query",
    [("it", "qualità"), ("it", "VELOCITA"), ("es", "búzon"), ("en", "qualíty")],
)
def test_accents_do_not_matter(mail_articles, language, query):
    assert slugs(search(query, language))


def test_accent_insensitive_both_ways(mail_articles):
    # "qualita" is written without accent in the article, "velocità" with one.
    assert "quality" in slugs(search("qualità", "it"))
    assert "quality" in slugs(search("velocita", "it"))


@pytest.mark.parametrize("language, query", [("it", "posta"), ("en", "mail"), ("es", "correo")])
def test_a_word_in_the_title_ranks_above_a_word_in_the_text(mail_articles, language, query):
    assert slugs(search(query, language)) == ["mail-not-arriving", "ssl"]


@pytest.mark.parametrize(
    "language, query, marked",
    [
        ("it", "arrivano", "arrivano"),
        ("en", "arriving", "arriving"),
        ("es", "mensaje", "mensajes"),
    ],
)
def test_matching_words_are_highlighted_in_the_snippet(mail_articles, language, query, marked):
    (hit,) = search(query, language)
    assert f"<mark>{marked}</mark>" in hit.snippet_html


def test_highlight_escapes_the_text():
    make_article({"it": ("Tag <b>", "Il tag <script> non deve passare: script vietati.")})
    (hit,) = search("script", "it")
    assert "<script>" not in hit.snippet_html
    assert "&lt;<mark>script</mark>&gt;" in hit.snippet_html


@pytest.mark.parametrize("language", ["it", "en", "es"])
def test_no_results(mail_articles, language):
    assert search("zzyzx", language) == []
    assert search("", language) == []
    assert search("  ?!  ", language) == []


def test_only_stop_words_find_nothing(mail_articles):
    assert search("non il la", "it") == []


def test_search_stays_in_the_readers_language(mail_articles):
    assert search("correo", "it") == []
    assert slugs(search("correo", "es"))[0] == "mail-not-arriving"


def test_every_word_must_match_unless_any_word(mail_articles):
    assert slugs(search("posta certificato", "it")) == ["ssl"]
    assert set(slugs(search("arrivano certificato", "it", any_word=True))) == {
        "mail-not-arriving",
        "ssl",
    }
    assert search("arrivano certificato", "it") == []


def test_drafts_are_not_found():
    make_article({"it": ("Bozza segreta", "Testo")}, status=ArticleTranslation.Status.DRAFT)
    assert search("segreta", "it") == []


def test_clients_only_articles_are_found_by_logged_in_users(owner):
    make_article({"it": ("Riservato", "Solo clienti")}, audience=Article.Audience.CLIENTS)
    assert search("riservato", "it") == []
    assert len(search("riservato", "it", user=owner.owner)) == 1


def test_edited_text_is_searchable_at_once(mail_articles):
    translation = ArticleTranslation.objects.get(article__slug="ssl", language="it")
    translation.body = "Ora parla di ombrelli."
    translation.save()
    assert slugs(search("ombrello", "it")) == ["ssl"]
    assert "ssl" not in slugs(search("certificato protegge", "it"))


def test_deleted_articles_are_gone(mail_articles):
    Article.objects.get(slug="ssl").delete()
    assert "ssl" not in slugs(search("posta", "it"))


def test_search_syntax_in_the_query_is_read_as_plain_words(mail_articles):
    expected = slugs(search("posta arriva", "it"))
    assert expected == ["mail-not-arriving"]
    assert slugs(search('posta" & (arriva) | !:*', "it")) == expected
    assert slugs(search("NEAR(posta arriva)*", "it")) == []  # "near" is a word too


def test_changing_the_audience_changes_who_finds_it(mail_articles, owner):
    article = Article.objects.get(slug="ssl")
    article.audience = Article.Audience.CLIENTS
    article.save()
    assert "ssl" not in slugs(search("certificato", "it"))
    assert "ssl" in slugs(search("certificato", "it", user=owner.owner))


def test_withdrawn_translations_leave_the_index(mail_articles):
    translation = ArticleTranslation.objects.get(article__slug="ssl", language="it")
    translation.status = ArticleTranslation.Status.DRAFT
    translation.save()
    assert search("certificato", "it") == []
