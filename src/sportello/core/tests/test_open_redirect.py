"""Every `next` the product follows stays on this site: another host, a scheme-relative
address, a backslash browsers read as a slash, or a script all land on a page of ours."""

import pytest
from django.urls import reverse

from sportello import testing

pytestmark = pytest.mark.django_db

ELSEWHERE = [
    "https://evil.example/",
    "http://evil.example/panel/",
    "//evil.example",
    "//evil.example/panel/",
    "/\\evil.example",
    "\\\\evil.example",
    "/\\/evil.example/",
    "javascript:alert(1)",
    "JavaScript:alert(1)",
    " javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "https:evil.example",
    "http://testserver@evil.example/",
]


def lands_on_this_site(response) -> bool:
    """A redirect to a path of this host (the test client's host is `testserver`)."""
    location = response["Location"]
    for prefix in ("http://testserver/", "https://testserver/"):
        if location.startswith(prefix):
            location = location[len(prefix) - 1 :]
    return (
        response.status_code in (301, 302, 303)
        and location.startswith("/")
        and not location.startswith(("//", "/\\"))
    )


@pytest.fixture
def article(db):
    from sportello.kb.tests.conftest import make_article

    return make_article({"it": ("Configurare il DNS", "Il **DNS** si configura così.")})


@pytest.mark.parametrize("target", ELSEWHERE)
def test_the_knowledge_base_vote_goes_back_only_to_this_site(client, article, target):
    response = client.post(
        reverse("kb:vote", args=[article.slug]), {"helpful": "yes", "next": target}
    )
    assert lands_on_this_site(response), response["Location"]
    assert response["Location"] == article.get_absolute_url()


def test_the_knowledge_base_vote_goes_back_to_the_page_it_came_from(client, article):
    back = reverse("kb:search") + "?q=dns"
    response = client.post(reverse("kb:vote", args=[article.slug]), {"helpful": "no", "next": back})
    assert response["Location"] == back


@pytest.mark.parametrize("target", ELSEWHERE)
def test_the_language_switch_goes_back_only_to_this_site(client, target):
    response = client.post(
        reverse("set_language"),
        {"language": "en", "next": target},
        headers={"referer": "https://evil.example/"},
    )
    assert lands_on_this_site(response), response["Location"]


@pytest.mark.parametrize("target", ELSEWHERE)
def test_signing_in_goes_on_only_to_this_site(client, target):
    user = testing.make_client("lina@example.org").owner
    response = client.post(
        reverse("account_login") + "?next=" + target,
        {"login": user.email, "password": testing.PASSWORD, "next": target},
    )
    assert lands_on_this_site(response), response["Location"]


@pytest.mark.parametrize("target", ELSEWHERE)
def test_signing_out_goes_on_only_to_this_site(client, target):
    client.force_login(testing.make_client("lina@example.org").owner)
    response = client.post(reverse("account_logout"), {"next": target})
    assert lands_on_this_site(response), response["Location"]
