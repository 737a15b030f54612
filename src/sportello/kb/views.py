"""What clients and visitors read: table of contents, search, articles, votes, news."""

import secrets

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from sportello.core.navigation import next_url

from . import actions
from .forms import SearchForm
from .models import LANGUAGE_CODES, Article, ArticleTranslation, Category, pick_language
from .search import search

BROWSER_COOKIE = "kb_browser"
BROWSER_COOKIE_AGE = 2 * 365 * 24 * 3600
SEARCH_RESULTS = 20
SUGGESTIONS = 5
RELATED = 5


def reader_language() -> str:
    language = (get_language() or LANGUAGE_CODES[0])[:2]
    return language if language in LANGUAGE_CODES else LANGUAGE_CODES[0]


def browser_id(request) -> str:
    return request.get_signed_cookie(BROWSER_COOKIE, default="", salt="kb.vote")


@require_GET
def index(request):
    """Table of contents: every category with the articles the reader may read."""
    language = reader_language()
    visible = ArticleTranslation.objects.visible_to(request.user).only(
        "id", "article_id", "language", "title"
    )
    categories = Category.objects.prefetch_related(
        Prefetch(
            "articles",
            queryset=Article.objects.filter(translations__in=visible)
            .distinct()
            .prefetch_related(Prefetch("translations", queryset=visible)),
        )
    )
    toc = []
    for category in categories:
        entries = []
        for article in category.articles.all():
            versions = {t.language: t for t in article.translations.all()}
            version = versions[pick_language(versions, language)]
            entries.append((article, version))
        if entries:
            toc.append((category.name_in(language), entries))
    return render(request, "kb/index.html", {"toc": toc, "form": SearchForm()})


@require_GET
def search_page(request):
    form = SearchForm(request.GET)
    query = form.cleaned_data["q"].strip() if form.is_valid() else ""
    hits = search(query, reader_language(), user=request.user, limit=SEARCH_RESULTS)
    return render(request, "kb/search.html", {"form": form, "query": query, "hits": hits})


def article(request, slug, language=None):
    article = get_object_or_404(Article.objects.select_related("category"), slug=slug)
    if not article.readable_by(request.user):
        return redirect_to_login(request.get_full_path())
    versions = {
        t.language: t for t in article.translations.visible_to(request.user).order_by("language")
    }
    if not versions:
        raise Http404
    if language is not None and language not in versions:
        raise Http404
    version = versions[language or pick_language(versions, reader_language())]
    now = timezone.now()
    if request.GET.get("from") == "suggestion":
        if not request.user.is_authenticated and not request.session.session_key:
            request.session.save()
        actions.record_suggestion_opening(
            article,
            user=request.user,
            session_key=request.session.session_key or "",
            now=now,
        )
    return render(
        request,
        "kb/article.html",
        {
            "article": article,
            "version": version,
            "versions": [versions[code] for code in LANGUAGE_CODES if code in versions],
            "category_name": article.category.name_in(version.language),
            "related": related_articles(article, version, request.user),
            **vote_context(request, article),
        },
    )


def related_articles(article: Article, version: ArticleTranslation, user) -> list:
    """Staff's choices first, then the most similar articles in the same language."""
    chosen = []
    for other in article.related.all():
        versions = {t.language: t for t in other.translations.visible_to(user)}
        code = pick_language(versions, version.language)
        if code:
            chosen.append(versions[code])
    if len(chosen) < RELATED:
        similar = search(
            version.title,
            version.language,
            user=user,
            limit=RELATED - len(chosen),
            any_word=True,
            exclude=[article.pk, *(t.article_id for t in chosen)],
        )
        chosen.extend(hit.translation for hit in similar)
    return chosen[:RELATED]


def vote_context(request, article) -> dict:
    own = actions.vote_of(article, user=request.user, browser=browser_id(request))
    return {
        "helpful_count": actions.helpful_count(article),
        "own_vote": own,
    }


@require_POST
def vote(request, slug):
    article = get_object_or_404(Article, slug=slug)
    if not article.readable_by(request.user):
        raise Http404
    answer = request.POST.get("helpful")
    if answer not in {"yes", "no"}:
        raise Http404
    browser = browser_id(request)
    new_browser = not request.user.is_authenticated and not browser
    if new_browser:
        browser = secrets.token_urlsafe(24)
    try:
        actions.vote(
            article, answer == "yes", user=request.user, browser=browser, now=timezone.now()
        )
        thanks = _("Thank you for your answer.")
    except ValidationError as error:
        thanks = error.messages[0]
    if request.htmx:
        response = render(
            request,
            "kb/_vote.html",
            {
                "article": article,
                "thanks": thanks,
                "helpful_count": actions.helpful_count(article),
                "own_vote": actions.vote_of(article, user=request.user, browser=browser),
            },
        )
    else:
        messages.success(request, thanks)
        response = redirect(next_url(request, article.get_absolute_url()))
    if new_browser:
        response.set_signed_cookie(
            BROWSER_COOKIE,
            browser,
            salt="kb.vote",
            max_age=BROWSER_COOKIE_AGE,
            httponly=True,
            samesite="Lax",
        )
    return response


def suggestions_for(subject: str, description: str, language: str, user) -> list:
    """Articles matching what a client is writing in a ticket (HD-11)."""
    text = f"{subject} {subject} {description}"  # the subject says most: it counts twice
    return search(text, language, user=user, limit=SUGGESTIONS, any_word=True)


@require_GET
def suggestions(request):
    hits = suggestions_for(
        request.GET.get("subject", "")[:300],
        request.GET.get("description", "")[:3000],
        reader_language(),
        request.user,
    )
    return render(request, "kb/_suggestions.html", {"kb_suggestions": hits})


# --- news ---------------------------------------------------------------------------------


@require_GET
def news_list(request):
    language = reader_language()
    items = []
    for news in actions.published_news(timezone.now())[:50]:
        version = news.translation_for(language)
        if version:
            items.append((news, version))
    return render(request, "kb/news_list.html", {"items": items, "language": language})


@require_GET
def news_item(request, pk, language=None):
    news = get_object_or_404(actions.published_news(timezone.now()), pk=pk)
    versions = {t.language: t for t in news.translations.all()}
    if language is not None and language not in versions:
        raise Http404
    version = versions[language or pick_language(versions, reader_language())]
    return render(
        request,
        "kb/news_item.html",
        {
            "news": news,
            "version": version,
            "versions": [versions[code] for code in LANGUAGE_CODES if code in versions],
        },
    )
