"""The knowledge base in headless Chromium: a client searches, reads and votes; staff write
an article with the live preview and publish it. Screenshots under artifacts/."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from sportello import testing
from sportello.browser import csp_violations, shot
from sportello.kb import actions
from sportello.kb.models import Article, ArticleTranslation
from sportello.kb.starter import seed_knowledge_base
from sportello.portal.tests.test_browser_client_journey import (
    log_in,
    path_of,
    submit_code,
    totp_code,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_client_searches_reads_and_votes(live_server, page):
    base = live_server.url
    seed_knowledge_base(timezone.now())
    article = Article.objects.get(slug="mail-client-settings")
    actions.vote(article, True, browser="an-earlier-visitor", now=timezone.now())
    client = testing.make_client("mario@example.org", name="Mario Rossi")
    log_in(page, base, client.owner.email, testing.PASSWORD)

    # From the dashboard to the knowledge base, with the welcome news on the way.
    expect(page.locator(".kb-news-block")).to_be_visible()
    shot(page, "kb-01-dashboard-news")
    page.click(".mainnav a[href='/kb/']")
    expect(page.locator(".kb-toc section")).to_have_count(3)
    shot(page, "kb-02-table-of-contents")

    page.fill("#kb-q", "posta non arriva")
    with page.expect_navigation():
        page.press("#kb-q", "Enter")
    results = page.locator(".kb-results li")
    expect(results.first).to_be_visible()
    expect(page.locator(".kb-results mark").first).to_be_visible()
    shot(page, "kb-03-search-results")

    with page.expect_navigation():
        page.click(".kb-results a[href='/kb/mail-client-settings/it/']")
    expect(page.locator("h1")).to_have_text("Configurare la posta sul tuo programma (IMAP e SMTP)")
    expect(page.locator(".kb-body table")).to_contain_text("587")
    expect(page.locator(".kb-helpful-count")).to_have_text(
        "1 persona ha trovato utile questo articolo"
    )
    expect(page.locator(".kb-related li")).not_to_have_count(0)

    # The vote goes through htmx: the box is replaced, the page stays.
    page.click(".kb-vote button.kb-yes")
    expect(page.locator(".kb-thanks")).to_be_visible()
    expect(page.locator(".kb-helpful-count")).to_have_text(
        "2 persone hanno trovato utile questo articolo"
    )
    expect(page.locator(".kb-yes")).to_have_attribute("aria-pressed", "true")
    assert path_of(page.url) == "/kb/mail-client-settings/it/"
    shot(page, "kb-04-article-voted")

    # Voting again changes the answer: still one vote per person.
    page.click(".kb-vote button.kb-no")
    expect(page.locator(".kb-helpful-count")).to_have_text(
        "1 persona ha trovato utile questo articolo"
    )
    assert article.votes.filter(user=client.owner).count() == 1

    # The English version is offered and opens in English.
    with page.expect_navigation():
        page.click(".kb-languages a[hreflang='en']")
    expect(page.locator("h1")).to_have_text("Setting up your mail program (IMAP and SMTP)")

    page.goto(f"{base}/news/")
    expect(page.locator(".kb-news")).to_have_count(1)
    shot(page, "kb-05-news")


def test_staff_write_an_article_with_preview_and_publish_it(live_server, page):
    base = live_server.url
    seed_knowledge_base(timezone.now())
    staff = testing.make_staff(email="agente@sportello.example")
    log_in(page, base, staff.email, testing.PASSWORD)
    submit_code(page, totp_code(testing.TOTP_SECRET))

    page.click(".mainnav .navmore > summary")  # the knowledge base is under "More"
    page.click(".mainnav a[href='/desk/kb/']")
    expect(page.locator("table.table tbody tr")).to_have_count(8)
    shot(page, "kb-10-desk-articles")

    page.click("a[href='/desk/kb/new/']")
    page.select_option("#id_category", label="Posta elettronica")
    page.fill("#id_slug", "webmail")
    page.select_option("#id_related", label="Come segnalare un problema con la posta")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    article = Article.objects.get(slug="webmail")
    assert path_of(page.url) == f"/desk/kb/{article.pk}/it/"

    page.fill("#id_title", "Usare la webmail")
    page.fill("#id_body", "Apri **webmail.tuodominio.it** e accedi.\n\n- Utente: indirizzo\n")
    # The live preview follows the text.
    expect(page.locator("#kb-preview strong")).to_have_text("webmail.tuodominio.it")
    expect(page.locator("#kb-preview li")).to_have_text("Utente: indirizzo")

    # Linking another article inserts a Markdown link at the cursor.
    page.fill(".kb-reply-box input", "password")
    page.locator(".kb-insert").first.click()
    expect(page.locator("#id_body")).to_have_value(
        "Apri **webmail.tuodominio.it** e accedi.\n\n- Utente: indirizzo\n"
        "[Scegliere una password sicura](http://127.0.0.1:8000/kb/safe-password/it/)"
    )
    # The preview, the search htmx swaps in and the insert button all ran under the
    # Content-Security-Policy without anything blocked.
    assert csp_violations(page) == []
    shot(page, "kb-11-desk-editor-preview")

    with page.expect_navigation():
        page.click("button[value=publish]")
    expect(page.locator(".msg-success")).to_be_visible()
    version = ArticleTranslation.objects.get(article=article, language="it")
    assert version.is_published
    shot(page, "kb-12-desk-published")

    # Clients find it at once.
    page.goto(f"{base}/kb/search/?q=webmail")
    expect(page.locator(".kb-results a[href='/kb/webmail/it/']")).to_be_visible()
    page.goto(f"{base}/kb/webmail/")
    expect(page.locator(".kb-related")).to_contain_text("Come segnalare un problema con la posta")
    shot(page, "kb-13-published-article")

    page.goto(f"{base}/desk/kb/avoided/")
    expect(page.locator("h1")).to_have_text("Ticket evitati")
    shot(page, "kb-14-tickets-avoided")
    page.goto(f"{base}/desk/news/{actions.published_news(timezone.now()).first().pk}/")
    shot(page, "kb-15-desk-news-edit")


def test_ticket_form_suggests_articles_and_counts_avoided_tickets(live_server, page):
    """A client types "posta non arriva" in the ticket form: a matching article appears
    (htmx, debounced), the client opens it and votes; opening a ticket afterwards marks the
    suggestion as not having avoided it."""
    from sportello.kb.models import SuggestionOpening

    base = live_server.url
    seed_knowledge_base(timezone.now())
    client = testing.make_client("mario@example.org", name="Mario Rossi")
    log_in(page, base, client.owner.email, testing.PASSWORD)
    page.goto(f"{base}/panel/tickets/new/")
    suggestions_asked = []
    page.on("request", lambda r: "/kb/suggestions" in r.url and suggestions_asked.append(r.url))
    asked = lambda url: parse_qs(urlsplit(url).query)  # noqa: E731
    with page.expect_response(lambda r: asked(r.url) == {"subject": ["posta non arriva"]}):
        page.locator("input[name=subject]").press_sequentially("posta non arriva", delay=30)
    suggestion = page.locator(
        "#kb-suggestions a[href='/kb/mail-client-settings/it/?from=suggestion']"
    )
    expect(suggestion).to_be_visible()
    expect(page.locator("#kb-suggestions")).not_to_have_class(re.compile("htmx-"))
    shot(page, "kb-06-ticket-form-suggestions")

    # The article opens in a new tab, so what the client typed stays in the form. The press
    # lasts as long as a person's: the subject field losing focus must not refresh the list
    # under the pointer, which would swallow the click.
    asked_before_click = len(suggestions_asked)
    suggestion.hover()
    with page.context.expect_page() as opened:
        page.mouse.down()
        page.wait_for_timeout(150)
        page.mouse.up()
    article = opened.value
    assert len(suggestions_asked) == asked_before_click
    expect(article.locator("h1")).to_have_text(
        "Configurare la posta sul tuo programma (IMAP e SMTP)"
    )
    article.click(".kb-vote button.kb-yes")
    expect(article.locator(".kb-thanks")).to_be_visible()
    shot(article, "kb-07-suggested-article-voted")
    opening = SuggestionOpening.objects.get(user=client.owner)
    assert opening.ticket_followed_at is None

    page.select_option('select[name="category"]', label="Informazioni commerciali")
    page.fill("input[name=subject]", "La posta non arriva ancora dopo la guida")
    page.fill("textarea[name=description]", "Ho seguito la guida ma la posta non arriva.")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert path_of(page.url).startswith("/panel/tickets/")
    opening.refresh_from_db()
    assert opening.ticket_followed_at is not None
