"""HD-11: articles suggested while a ticket is written, and the tickets they avoided."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from sportello import testing
from sportello.kb import actions
from sportello.kb.models import SuggestionOpening

from .conftest import make_article

pytestmark = pytest.mark.django_db


@pytest.fixture
def articles():
    return {
        "mail": make_article(
            {"it": ("La posta non arriva", "Se la posta non arriva controlla la casella piena.")},
            slug="mail",
        ),
        "ssl": make_article({"it": ("Certificato SSL", "Il lucchetto manca.")}, slug="ssl"),
        "pwd": make_article({"it": ("Password sicura", "Scegli una password lunga.")}, slug="pwd"),
    }


def suggest(client, **params):
    return client.get(reverse("kb:suggestions"), params)


def test_suggestions_match_what_the_client_types(client, owner, articles):
    client.force_login(owner.owner)
    response = suggest(client, subject="posta non arriva", description="da ieri nessun messaggio")
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body  # a fragment for htmx
    assert "/kb/mail/it/?from=suggestion" in body
    assert "<mark>posta</mark>" in body
    assert "/kb/ssl/" not in body


def test_any_word_of_a_long_description_can_suggest(client, articles):
    response = suggest(
        client, subject="aiuto", description="il sito non ha il lucchetto e la password?"
    )
    body = response.content.decode()
    assert "/kb/ssl/it/" in body and "/kb/pwd/it/" in body


def test_at_most_five_suggestions(client):
    for n in range(8):
        make_article({"it": (f"Posta {n}", "posta")})
    assert suggest(client, subject="posta").content.decode().count("?from=suggestion") == 5


def test_nothing_matching_shows_nothing(client, articles):
    response = suggest(client, subject="fattura", description="")
    assert response.status_code == 200
    assert response.content.decode().strip() == ""
    assert suggest(client).content.decode().strip() == ""


def test_suggestions_follow_the_interface_language(client, articles):
    make_article({"en": ("Mail does not arrive", "Check the mailbox.")}, slug="mail-en")
    client.cookies["django_language"] = "en"
    body = suggest(client, subject="mail arriving", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "/kb/mail-en/en/?from=suggestion" in body


def test_the_slot_for_the_ticket_form_calls_the_endpoint():
    from django.template.loader import render_to_string

    html = render_to_string("kb/_suggestions_slot.html")
    assert 'hx-get="/kb/suggestions/"' in html
    assert 'hx-include="closest form"' in html
    assert "delay:400ms" in html
    assert "htmx-2.min.js" in html


def test_opening_a_suggestion_is_recorded_once_per_window(client, owner, articles):
    client.force_login(owner.owner)
    url = reverse("kb:article", args=["mail"]) + "?from=suggestion"
    assert client.get(url).status_code == 200
    client.get(url)
    client.get(reverse("kb:article", args=["mail"]))  # not from a suggestion
    (opening,) = SuggestionOpening.objects.all()
    assert opening.user == owner.owner and opening.ticket_followed_at is None


def test_a_visitor_opening_is_kept_by_browser_session(client, articles):
    client.get(reverse("kb:article", args=["mail"]) + "?from=suggestion")
    (opening,) = SuggestionOpening.objects.all()
    assert opening.user is None and opening.session_key


def test_a_ticket_after_an_opening_means_it_was_not_avoided(owner, other_client, articles):
    now = timezone.now()
    mail, ssl = articles["mail"], articles["ssl"]
    old = actions.record_suggestion_opening(mail, user=owner.owner, now=now - timedelta(days=3))
    recent = actions.record_suggestion_opening(mail, user=owner.owner, now=now - timedelta(hours=2))
    others = actions.record_suggestion_opening(ssl, user=other_client.owner, now=now)

    assert actions.suggestions_followed_by_ticket(owner.owner, now) == 1
    for opening in (old, recent, others):
        opening.refresh_from_db()
    assert recent.ticket_followed_at == now
    assert old.ticket_followed_at is None  # three days before: that one avoided a ticket
    assert others.ticket_followed_at is None
    assert actions.suggestions_followed_by_ticket(owner.owner, now) == 0  # already marked


def test_tickets_avoided_per_article_and_month(owner, other_client, articles):
    now = timezone.now()
    day = timedelta(days=1)
    mail, ssl = articles["mail"], articles["ssl"]
    actions.record_suggestion_opening(mail, user=owner.owner, now=now - 40 * day)
    actions.record_suggestion_opening(mail, user=other_client.owner, now=now - 5 * day)
    actions.record_suggestion_opening(ssl, user=owner.owner, now=now - 3 * day)
    actions.suggestions_followed_by_ticket(owner.owner, now - 3 * day + timedelta(hours=1))
    actions.record_suggestion_opening(ssl, user=other_client.owner, now=now - timedelta(hours=1))

    stats = actions.tickets_avoided(now)
    per_article = {row["article__slug"]: row for row in stats["per_article"]}
    assert (per_article["mail"]["opened"], per_article["mail"]["avoided"]) == (2, 2)
    assert (per_article["ssl"]["opened"], per_article["ssl"]["followed"]) == (1, 1)
    assert per_article["ssl"]["avoided"] == 0
    assert stats["avoided"] == 2 and stats["pending"] == 1
    assert sum(row["avoided"] for row in stats["per_month"]) == 2


def test_staff_see_the_tickets_avoided_page(client, owner, articles):
    actions.record_suggestion_opening(
        articles["mail"], user=owner.owner, now=timezone.now() - timedelta(days=2)
    )
    client.force_login(testing.make_staff())
    response = client.get(reverse("kb_desk:avoided"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "La posta non arriva" in body
    assert "1 ticket evitati" in body


def test_clients_cannot_see_the_tickets_avoided_page(client, owner):
    client.force_login(owner.owner)
    assert client.get(reverse("kb_desk:avoided")).status_code == 403


def test_a_long_ticket_text_is_searched_by_its_most_telling_words():
    from sportello.kb.search import ANY_WORD_TERMS, telling_words

    text = "ciao la posta di info@rossi.it non arriva più da ieri sera dopo il cambio password"
    words = telling_words(text.replace("@", " ").split(), "it")
    assert len(words) == ANY_WORD_TERMS
    assert "password" in words and "arriva" in words and "la" not in words
