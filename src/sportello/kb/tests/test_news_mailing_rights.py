"""Mailing a news item to all clients is an administrator's decision: agents and billing
clerks write and publish news, but cannot mail it, nor change news an administrator set
to be mailed."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from sportello import testing
from sportello.kb.models import NewsItem, NewsTranslation
from sportello.mail.models import OutboundEmail

pytestmark = pytest.mark.django_db
ROLES_WITHOUT_THE_RIGHT = [testing.User.Role.AGENT, testing.User.Role.BILLING]


def news_form(**fields) -> dict:
    return {
        "publish_at": "2020-01-01T09:00",
        "title_it": "Nuovi prezzi",
        "body_it": "Dal 2027.",
        "title_en": "",
        "body_en": "",
        "title_es": "",
        "body_es": "",
        **fields,
    }


@pytest.fixture
def to_be_mailed(db):
    """News an administrator set to be mailed tomorrow."""
    news = NewsItem.objects.create(publish_at=timezone.now() + timedelta(days=1), mail_clients=True)
    NewsTranslation.objects.create(news=news, language="it", title="Manutenzione", body="Sabato.")
    return news


@pytest.mark.parametrize("role", ROLES_WITHOUT_THE_RIGHT)
def test_agents_and_billing_clerks_cannot_mail_news_to_all_clients(
    client, owner, role, django_capture_on_commit_callbacks
):
    client.force_login(testing.make_staff(role))
    page = client.get(reverse("kb_desk:news_new")).content.decode()
    assert 'name="mail_clients"' in page and "disabled" in page.split('name="mail_clients"')[1][:80]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("kb_desk:news_new"), news_form(mail_clients="on"))
    assert response.status_code == 302
    news = NewsItem.objects.get()
    assert not news.mail_clients
    assert not OutboundEmail.objects.filter(template="news").exists()


@pytest.mark.parametrize("role", ROLES_WITHOUT_THE_RIGHT)
def test_agents_and_billing_clerks_cannot_change_news_set_to_be_mailed(client, to_be_mailed, role):
    client.force_login(testing.make_staff(role))
    url = reverse("kb_desk:news_edit", args=[to_be_mailed.pk])
    response = client.post(url, news_form(title_it="Prezzi raddoppiati", body_it="Da subito."))
    assert response.status_code == 200
    assert "Solo un amministratore" in response.content.decode()
    assert to_be_mailed.translations.get().title == "Manutenzione"
    to_be_mailed.refresh_from_db()
    assert to_be_mailed.mail_clients


def test_an_administrator_sets_news_to_be_mailed_and_changes_it(client, to_be_mailed):
    client.force_login(testing.make_staff(testing.User.Role.ADMIN))
    url = reverse("kb_desk:news_edit", args=[to_be_mailed.pk])
    publish_at = timezone.localtime(to_be_mailed.publish_at).strftime("%Y-%m-%dT%H:%M")
    form = news_form(publish_at=publish_at, mail_clients="on", title_it="Manutenzione sabato")
    assert client.post(url, form).status_code == 302
    to_be_mailed.refresh_from_db()
    assert to_be_mailed.mail_clients
    assert to_be_mailed.translations.get().title == "Manutenzione sabato"


def test_agents_still_edit_news_that_is_not_mailed(client):
    news = NewsItem.objects.create(publish_at=timezone.now())
    NewsTranslation.objects.create(news=news, language="it", title="Nuovo sito", body="Online.")
    client.force_login(testing.make_staff())
    response = client.post(reverse("kb_desk:news_edit", args=[news.pk]), news_form())
    assert response.status_code == 302
    assert news.translations.get().title == "Nuovi prezzi"
