"""Staff write articles in Markdown with a preview, per language, and publish them; they
link articles in replies; news are written in the desk too."""

import pytest
from django.urls import reverse

from sportello import testing
from sportello.core.models import AuditEvent
from sportello.kb.models import Article, ArticleTranslation, Category, NewsItem
from sportello.kb.search import search
from sportello.mail.models import OutboundEmail

from .conftest import make_article

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    staff = testing.make_staff()
    client.force_login(staff)
    client.staff = staff
    return client


@pytest.fixture
def category():
    return Category.objects.create(slug="email", name="Posta", name_en="Email", name_es="Correo")


def test_staff_write_preview_and_publish_an_article(staff_client, category):
    response = staff_client.post(
        reverse("kb_desk:article_new"),
        {"category": category.pk, "slug": "bounce", "audience": "public", "position": 1},
    )
    article = Article.objects.get(slug="bounce")
    assert response.url == reverse("kb_desk:translation", args=[article.pk, "it"])
    url = response.url
    text = {"title": "Messaggio respinto", "body": "La casella è **piena**."}

    response = staff_client.post(url, {**text, "action": "preview"})
    assert "<strong>piena</strong>" in response.content.decode()
    assert not article.translations.exists()  # a preview saves nothing

    staff_client.post(url, {**text, "action": "save"})
    version = article.translations.get(language="it")
    assert version.status == ArticleTranslation.Status.DRAFT
    assert search("respinto", "it") == []

    staff_client.post(url, {**text, "action": "publish"})
    version.refresh_from_db()
    assert version.is_published and version.published_at
    assert [hit.article for hit in search("respinto", "it")] == [article]
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.ARTICLE_PUBLISHED, actor=staff_client.staff
    ).exists()

    staff_client.post(url, {**text, "action": "withdraw"})
    version.refresh_from_db()
    assert not version.is_published
    assert staff_client.get(reverse("kb:article", args=["bounce"])).status_code == 404


def test_live_preview_renders_sanitised_markdown(staff_client):
    response = staff_client.post(
        reverse("kb_desk:preview"), {"body": "# Titolo\n\n<script>x</script> *ok*"}
    )
    body = response.content.decode()
    assert "<h1>Titolo</h1>" in body and "<em>ok</em>" in body and "<script>" not in body


def test_empty_text_is_refused(staff_client, category):
    article = Article.objects.create(slug="a", category=category)
    response = staff_client.post(
        reverse("kb_desk:translation", args=[article.pk, "en"]),
        {"title": " ", "body": "", "action": "publish"},
    )
    assert response.status_code == 200
    assert "Questo campo è obbligatorio" in response.content.decode()
    assert not article.translations.exists()


def test_article_list_shows_each_language_state(staff_client, category):
    make_article({"it": ("Uno", "x")}, slug="one", category=category)
    make_article({"en": ("Two", "x")}, slug="two", category=category,
                 status=ArticleTranslation.Status.DRAFT)  # fmt: skip
    body = staff_client.get(reverse("kb_desk:articles")).content.decode()
    assert "Uno" in body and "Two" in body
    assert 'class="badge status-active"' in body and 'class="badge status-pending"' in body


def test_categories_are_managed_in_the_desk(staff_client):
    response = staff_client.post(
        reverse("kb_desk:categories"),
        {
            "name": "Domini",
            "name_en": "Domains",
            "name_es": "Dominios",
            "slug": "domains",
            "position": 2,
        },  # fmt: skip
    )
    assert response.status_code == 302
    assert Category.objects.get(slug="domains").name_in("es") == "Dominios"


def test_a_new_article_needs_a_category_first(staff_client):
    response = staff_client.get(reverse("kb_desk:article_new"))
    assert response.url == reverse("kb_desk:categories")


def test_reply_links_in_the_clients_language(staff_client):
    make_article(
        {"it": ("Casella piena", "mailbox full"), "es": ("Buzón lleno", "mailbox full")},
        slug="full",
    )
    response = staff_client.get(
        reverse("kb_desk:reply_links"), {"q": "mailbox full", "lang": "es", "target": "id_reply"}
    )
    body = response.content.decode()
    assert 'data-url="http://127.0.0.1:8000/kb/full/es/"' in body
    assert 'data-title="Buzón lleno"' in body and 'data-target="id_reply"' in body
    assert "Inserisci" in body
    empty = staff_client.get(reverse("kb_desk:reply_links"), {"q": "zzz", "lang": "es"})
    assert "Nessun articolo corrisponde" in empty.content.decode()


def test_clients_and_visitors_cannot_use_staff_pages(client, owner):
    pages = [
        reverse("kb_desk:articles"),
        reverse("kb_desk:article_new"),
        reverse("kb_desk:reply_links") + "?q=posta",
        reverse("kb_desk:news"),
    ]
    for url in pages:
        assert client.get(url).status_code == 302  # to the login
    client.force_login(owner.owner)
    for url in pages:
        assert client.get(url).status_code == 403


def test_an_administrator_writes_news_and_mails_it(
    staff_client, owner, deliver_outbox, django_capture_on_commit_callbacks
):
    staff_client.force_login(testing.make_staff(testing.User.Role.ADMIN))  # mailing is theirs
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            reverse("kb_desk:news_new"),
            {
                "publish_at": "2020-01-01T09:00",
                "mail_clients": "on",
                "title_it": "Nuovi prezzi",
                "body_it": "Dal 2027.",
                "title_en": "",
                "body_en": "",
                "title_es": "",
                "body_es": "",
            },
        )
    assert response.status_code == 302
    news = NewsItem.objects.get()
    assert news.translation_for("it").title == "Nuovi prezzi"
    # Published already: mailed at once, without waiting for the daily run.
    (message,) = deliver_outbox(1)
    assert "Nuovi prezzi" in message["Subject"]
    assert OutboundEmail.objects.get(template="news").client == owner
    body = staff_client.get(reverse("kb_desk:news")).content.decode()
    assert "inviata a 1 cliente" in body


def test_news_form_errors_are_in_the_staffs_language(staff_client):
    response = staff_client.post(
        reverse("kb_desk:news_new"),
        {"publish_at": "2020-01-01T09:00", "title_it": "Solo titolo", "body_it": ""},
    )
    assert "Ogni lingua ha bisogno di un titolo e di un testo." in response.content.decode()
    assert not NewsItem.objects.exists()
