"""KB-3: news on the dashboard and the news page, an Atom feed per language, mailing."""

from datetime import timedelta
from xml.etree import ElementTree

import pytest
from django.urls import reverse
from django.utils import timezone

from sportello import testing
from sportello.automation.registry import run_day
from sportello.kb import actions
from sportello.kb.models import NewsItem, NewsMailing
from sportello.mail.models import OutboundEmail

pytestmark = pytest.mark.django_db
ATOM = "{http://www.w3.org/2005/Atom}"


def make_news(versions, *, publish_at=None, mail_clients=False):
    news = NewsItem(publish_at=publish_at or timezone.now() - timedelta(hours=1),
                    mail_clients=mail_clients)  # fmt: skip
    return actions.save_news(news, versions)


@pytest.fixture
def news():
    return make_news(
        {
            "it": ("Manutenzione sabato", "I server saranno **fermi** dalle 2 alle 4."),
            "en": ("Maintenance on Saturday", "Servers will be **down** from 2 to 4."),
        }
    )


def test_dashboard_shows_the_latest_news_in_the_clients_language(client, owner, news):
    make_news({"it": ("Futura", "non ancora")}, publish_at=timezone.now() + timedelta(days=1))
    client.force_login(owner.owner)
    body = client.get(reverse("portal:home")).content.decode()
    assert "Manutenzione sabato" in body and "Futura" not in body
    english = testing.make_client("en@example.org", language="en")
    client.force_login(english.owner)
    assert "Maintenance on Saturday" in client.get(reverse("portal:home")).content.decode()


def test_news_page_and_item(client, news):
    body = client.get(reverse("kb:news")).content.decode()
    assert "Manutenzione sabato" in body and "<strong>fermi</strong>" in body
    body = client.get(reverse("kb:news_item_in", args=[news.pk, "en"])).content.decode()
    assert "Maintenance on Saturday" in body
    assert client.get(reverse("kb:news_item_in", args=[news.pk, "es"])).status_code == 404


def test_scheduled_news_is_hidden_until_its_date(client):
    later = make_news({"it": ("Domani", "x")}, publish_at=timezone.now() + timedelta(days=1))
    assert "Domani" not in client.get(reverse("kb:news")).content.decode()
    assert client.get(reverse("kb:news_item", args=[later.pk])).status_code == 404


def test_atom_feed_per_language_parses_back(client, news):
    make_news({"es": ("Solo en español", "Hola")})
    response = client.get(reverse("kb:news_feed", args=["it"]))
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = ElementTree.fromstring(response.content)
    assert feed.tag == f"{ATOM}feed"
    assert feed.find(f"{ATOM}title").text == "Notizie di Sportello Hosting"
    entries = feed.findall(f"{ATOM}entry")
    assert [e.find(f"{ATOM}title").text for e in entries] == ["Manutenzione sabato"]
    entry = entries[0]
    assert entry.find(f"{ATOM}link").get("href").endswith(f"/news/{news.pk}/it/")
    assert entry.find(f"{ATOM}id").text and entry.find(f"{ATOM}updated").text
    assert "<strong>fermi</strong>" in entry.find(f"{ATOM}summary").text

    spanish = ElementTree.fromstring(client.get(reverse("kb:news_feed", args=["es"])).content)
    assert [e.find(f"{ATOM}title").text for e in spanish.findall(f"{ATOM}entry")] == [
        "Solo en español"
    ]
    assert spanish.find(f"{ATOM}title").text == "Noticias de Sportello Hosting"
    assert client.get(reverse("kb:news_feed", args=["de"])).status_code == 404


def test_news_needs_a_title_and_text():
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        make_news({"it": ("", "")})
    with pytest.raises(ValidationError):
        make_news({"it": ("Titolo", "")})


def test_news_is_mailed_once_to_every_client_in_their_language(owner, deliver_outbox):
    english = testing.make_client("jane@example.org", language="en")
    spanish = testing.make_client("lucia@example.org", language="es")
    news = make_news(
        {"it": ("Nuovo pannello", "Testo"), "en": ("New panel", "Text")}, mail_clients=True
    )
    result = run_day(timezone.now(), only=["news_mailing"])
    assert result["news_mailing"]["counts"] == {"news": 1, "emails": 3}
    messages = deliver_outbox(3)
    subjects = {m["To"]: m["Subject"] for m in messages}
    assert "Notizia: Nuovo pannello" in subjects[owner.contact_email]
    assert "News: New panel" in subjects[english.contact_email]
    # No Spanish version: Spanish clients get the Italian one.
    assert "Nuovo pannello" in subjects[spanish.contact_email]

    # A second run, or mailing again by hand, sends nothing twice.
    run_day(timezone.now(), only=["news_mailing"])
    assert actions.mail_news(news, timezone.now()) == 0
    assert OutboundEmail.objects.filter(template="news").count() == 3
    assert NewsMailing.objects.filter(news=news).count() == 3


def test_mailing_works_in_batches(owner, other_client):
    for n in range(5):
        testing.make_client(f"batch{n}@example.org")
    news = make_news({"it": ("Lotti", "Testo")}, mail_clients=True)
    assert actions.mail_news(news, timezone.now(), batch_size=2) == 7
    news.refresh_from_db()
    assert news.mailing_done_at is not None


def test_news_not_to_mail_or_not_yet_published_is_not_mailed(owner):
    make_news({"it": ("Solo pagina", "x")})
    make_news({"it": ("Domani", "x")}, mail_clients=True,
              publish_at=timezone.now() + timedelta(days=1))  # fmt: skip
    assert run_day(timezone.now(), only=["news_mailing"])["news_mailing"]["counts"] == {
        "news": 0,
        "emails": 0,
    }
    assert not OutboundEmail.objects.filter(template="news").exists()
