"""The knowledge base in headless Chromium: a client searches, reads and votes; staff write
an article with the live preview and publish it. Screenshots under artifacts/."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from sportello import testing
from sportello.browser import shot
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


def test_the_suggestions_slot_in_a_ticket_form(live_server, page):
    """The slot the ticket form includes: typing a subject shows suggestions (htmx,
    debounced), and opening one is recorded as a suggestion opened."""
    from django.template.loader import render_to_string

    from sportello.kb.models import SuggestionOpening

    base = live_server.url
    seed_knowledge_base(timezone.now())
    client = testing.make_client("mario@example.org", name="Mario Rossi")
    log_in(page, base, client.owner.email, testing.PASSWORD)
    slot = render_to_string("kb/_suggestions_slot.html")
    form = (
        '<form method="post" id="ticket"><input name="subject" id="subject">'
        f'<textarea name="description" id="description"></textarea>{slot}</form>'
    )
    # A page of the site, so the slot's requests go to the same origin with the session.
    page.goto(f"{base}/kb/")
    page.evaluate("html => { document.querySelector('main').innerHTML = html; }", form)
    page.add_script_tag(url=f"{base}/static/django_htmx/htmx-2.min.js")
    page.evaluate("htmx.process(document.body)")

    page.locator("#subject").press_sequentially("posta non arriva", delay=30)
    suggestion = page.locator(
        "#kb-suggestions a[href='/kb/mail-client-settings/it/?from=suggestion']"
    )
    expect(suggestion).to_be_visible()
    expect(page.locator("#kb-suggestions li")).not_to_have_count(0)
    shot(page, "kb-06-ticket-form-suggestions")

    page.goto(base + suggestion.get_attribute("href"))
    expect(page.locator("h1")).to_have_text("Configurare la posta sul tuo programma (IMAP e SMTP)")
    assert SuggestionOpening.objects.filter(user=client.owner).count() == 1
