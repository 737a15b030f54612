import pytest
from django.urls import reverse
from django.utils import timezone

from sportello.kb import actions
from sportello.kb.models import Vote

from .conftest import make_article

pytestmark = pytest.mark.django_db


@pytest.fixture
def article():
    return make_article({"it": ("Posta piena", "La casella è piena.")}, slug="full")


def vote_url(article):
    return reverse("kb:vote", args=[article.slug])


def test_a_visitor_votes_once_per_browser_and_sees_the_count(client, article):
    response = client.post(vote_url(article), {"helpful": "yes"}, follow=True)
    assert response.status_code == 200
    assert actions.helpful_count(article) == 1
    assert "1 persona" in response.content.decode()
    # The same browser voting again changes its answer, it does not add a vote.
    client.post(vote_url(article), {"helpful": "yes"})
    client.post(vote_url(article), {"helpful": "no"})
    assert Vote.objects.filter(article=article).count() == 1
    assert actions.helpful_count(article) == 0


def test_another_browser_counts_as_another_person(client, article):
    from django.test import Client

    client.post(vote_url(article), {"helpful": "yes"})
    Client().post(vote_url(article), {"helpful": "yes"})
    assert actions.helpful_count(article) == 2


def test_a_logged_in_client_votes_once_from_any_browser(client, article, owner):
    from django.test import Client

    for browser in (client, Client()):
        browser.force_login(owner.owner)
        browser.post(vote_url(article), {"helpful": "yes"})
    assert Vote.objects.filter(article=article, user=owner.owner).count() == 1
    assert actions.helpful_count(article) == 1


def test_htmx_vote_returns_the_box_with_the_new_count(client, article):
    make_vote = actions.vote
    make_vote(article, True, browser="someone-else", now=timezone.now())
    response = client.post(vote_url(article), {"helpful": "yes"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="kb-vote-box"' in body and "<html" not in body
    assert "2 persone hanno trovato utile" in body
    assert 'aria-pressed="true"' in body


def test_a_bad_answer_is_refused(client, article):
    assert client.post(vote_url(article), {"helpful": "maybe"}).status_code == 404
    assert client.get(vote_url(article)).status_code == 405
    assert not Vote.objects.exists()


def test_no_vote_without_a_voter(article):
    from django.contrib.auth.models import AnonymousUser
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        actions.vote(article, True, user=AnonymousUser(), browser="", now=timezone.now())
