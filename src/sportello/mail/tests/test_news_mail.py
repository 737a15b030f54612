"""News mail carries the one-click unsubscribe (RFC 8058), and a client who opted out of
the news, in their settings or by that link, receives no more of it."""

from datetime import timedelta

import pytest
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from sportello.accounts.actions import news_unsubscribe_url
from sportello.kb import actions as kb
from sportello.kb.models import NewsItem
from sportello.mail.jobs import send_due_emails
from sportello.testing import make_client

pytestmark = pytest.mark.django_db


def news() -> NewsItem:
    item = NewsItem(publish_at=timezone.now() - timedelta(hours=1), mail_clients=True)
    return kb.save_news(item, {"it": ("Manutenzione sabato", "Server fermi dalle 2 alle 4.")})


def test_news_mail_carries_one_click_unsubscribe_and_skips_who_opted_out(owner, inbox):
    quiet = make_client("quiet@example.org")
    quiet.news_by_email = False
    quiet.save()
    assert kb.mail_news(news(), timezone.now()) == 1
    send_due_emails(timezone.now())
    mail = inbox.wait_for(1)[0]
    assert mail["To"] == owner.contact_email and not inbox.to("quiet@example.org")
    link = news_unsubscribe_url(owner)
    assert link.startswith("http") and str(mail["List-Unsubscribe"]).strip() == f"<{link}>"
    assert str(mail["List-Unsubscribe-Post"]) == "List-Unsubscribe=One-Click"
    assert str(mail["Precedence"]) == "bulk"
    assert link in mail.get_body(("plain",)).get_content()
    assert "non vengono lette" in mail.get_body(("plain",)).get_content()


def test_the_mail_programs_one_click_post_unsubscribes_without_a_session(owner):
    link = news_unsubscribe_url(owner)
    browser = HttpClient(enforce_csrf_checks=True)
    asked = browser.get(link)
    assert asked.status_code == 200
    owner.refresh_from_db()
    assert owner.news_by_email  # a GET (a link preview, a scanner) changes nothing
    done = browser.post(link, "List-Unsubscribe=One-Click",
                        content_type="application/x-www-form-urlencoded")  # fmt: skip
    assert done.status_code == 200
    owner.refresh_from_db()
    assert not owner.news_by_email
    assert kb.mail_news(news(), timezone.now()) == 0


def test_a_forged_or_altered_token_is_refused(owner, other_client):
    link = news_unsubscribe_url(owner)
    token = link.rstrip("/").rsplit("/", 1)[1]
    forged = reverse("portal:news_unsubscribe", args=[token[:-2] + "xx"])
    assert HttpClient().post(forged).status_code == 404
    other = reverse("portal:news_unsubscribe", args=["MTI:1abc:def"])
    assert HttpClient().post(other).status_code == 404
    owner.refresh_from_db()
    other_client.refresh_from_db()
    assert owner.news_by_email and other_client.news_by_email


def test_clients_opt_out_and_back_in_from_their_profile(client, owner):
    client.force_login(owner.owner)
    page = client.get(reverse("portal:profile")).content.decode()
    assert 'name="news_by_email"' in page
    form = {
        "kind": owner.kind, "name": owner.name, "country": owner.country, "language": "it",
        "address": "Via Roma 1", "postcode": "00100", "city": "Roma", "province": "RM",
        "fiscal_code": "RSSMRA80A01H501U",
    }  # fmt: skip
    response = client.post(reverse("portal:profile"), form)
    assert response.status_code in (200, 302)
    owner.refresh_from_db()
    assert response.status_code == 302 and not owner.news_by_email
