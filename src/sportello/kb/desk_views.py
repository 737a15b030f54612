"""Staff pages: writing articles and news, categories, tickets avoided, reply links."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Prefetch, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from sportello.core.access import staff_required
from sportello.core.params import to_search

from . import actions
from .forms import ArticleForm, CategoryForm, NewsForm, TranslationForm
from .markup import render_markdown
from .models import LANGUAGE_CODES, Article, ArticleTranslation, Category, NewsItem
from .search import search

REPLY_LINKS = 8


@staff_required()
def article_list(request):
    query = to_search(request.GET.get("q"))
    articles = (
        Article.objects.select_related("category")
        .prefetch_related("translations")
        .annotate(helpful=Count("votes", filter=Q(votes__helpful=True)))
        .order_by("category__position", "category__slug", "position", "slug")
    )
    if query:
        articles = articles.filter(
            Q(slug__icontains=query) | Q(translations__title__icontains=query)
        ).distinct()
    rows = []
    for article in articles:
        versions = {t.language: t for t in article.translations.all()}
        title = next((versions[c].title for c in LANGUAGE_CODES if c in versions), article.slug)
        rows.append((article, title, [(code, versions.get(code)) for code in LANGUAGE_CODES]))
    return render(
        request, "kb/desk/article_list.html", {"rows": rows, "query": query, "section": "articles"}
    )


@staff_required()
def article_edit(request, pk=None):
    article = get_object_or_404(Article, pk=pk) if pk else Article()
    form = ArticleForm(request.POST or None, instance=article)
    if not Category.objects.exists():
        messages.warning(request, _("Create a category first: every article belongs to one."))
        return redirect("kb_desk:categories")
    if request.method == "POST" and form.is_valid():
        created = article.pk is None
        article = actions.save_article(form, request=request)
        messages.success(request, _("Article saved."))
        if created:
            return redirect("kb_desk:translation", pk=article.pk, language=LANGUAGE_CODES[0])
        return redirect("kb_desk:article", pk=article.pk)
    versions = {t.language: t for t in article.translations.all()} if article.pk else {}
    return render(
        request,
        "kb/desk/article_edit.html",
        {
            "form": form,
            "article": article,
            "versions": [(code, name, versions.get(code)) for code, name in settings.LANGUAGES],
            "section": "articles",
        },
    )


@staff_required()
def translation_edit(request, pk, language):
    article = get_object_or_404(Article, pk=pk)
    if language not in LANGUAGE_CODES:
        raise Http404
    version = article.translations.filter(language=language).first()
    initial = {"title": version.title, "body": version.body} if version else None
    form = TranslationForm(request.POST or None, initial=initial)
    action = request.POST.get("action", "save")
    preview = None
    if request.method == "POST" and form.is_valid():
        if action == "preview":
            preview = render_markdown(form.cleaned_data["body"])
        else:
            publish = {"publish": True, "withdraw": False}.get(action)
            try:
                actions.save_translation(
                    article,
                    language,
                    title=form.cleaned_data["title"],
                    body=form.cleaned_data["body"],
                    now=timezone.now(),
                    publish=publish,
                    request=request,
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(
                    request,
                    {
                        "publish": _("Published: clients can read it now."),
                        "withdraw": _("Withdrawn: only staff can see it."),
                    }.get(action, _("Saved.")),
                )
                return redirect("kb_desk:translation", pk=article.pk, language=language)
    elif version:
        preview = version.body_html
    return render(
        request,
        "kb/desk/translation_edit.html",
        {
            "article": article,
            "version": version,
            "language": language,
            "language_name": dict(settings.LANGUAGES)[language],
            "others": [(code, name) for code, name in settings.LANGUAGES if code != language],
            "form": form,
            "preview": preview,
            "section": "articles",
        },
    )


@staff_required()
@require_POST
def preview(request):
    """The article as clients will see it, while staff type (htmx)."""
    return render(
        request, "kb/desk/_preview.html", {"preview": render_markdown(request.POST.get("body", ""))}
    )


@staff_required()
def categories(request, pk=None):
    category = get_object_or_404(Category, pk=pk) if pk else Category()
    form = CategoryForm(request.POST or None, instance=category)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Category saved."))
        return redirect("kb_desk:categories")
    return render(
        request,
        "kb/desk/categories.html",
        {
            "form": form,
            "category": category,
            "categories": Category.objects.annotate(articles_count=Count("articles")),
            "section": "categories",
        },
    )


@staff_required()
@require_GET
def avoided(request):
    stats = actions.tickets_avoided(timezone.now())
    titles = {
        t.article_id: t.title
        for t in ArticleTranslation.objects.filter(
            article_id__in=[row["article_id"] for row in stats["per_article"]],
            language=LANGUAGE_CODES[0],
        )
    }
    for row in stats["per_article"]:
        row["title"] = titles.get(row["article_id"], row["article__slug"])
    return render(request, "kb/desk/avoided.html", {"stats": stats, "section": "avoided"})


@staff_required()
@require_GET
def reply_links(request):
    """Articles to link in a reply, in the client's language, with their full address."""
    language = request.GET.get("lang", "")
    language = language if language in LANGUAGE_CODES else LANGUAGE_CODES[0]
    query = to_search(request.GET.get("q"))
    hits = search(query, language, user=request.user, limit=REPLY_LINKS) if query else []
    links = [
        {"title": hit.translation.title, "url": settings.SITE_URL + hit.url, "hit": hit}
        for hit in hits
    ]
    return render(
        request,
        "kb/_reply_links.html",
        {"links": links, "query": query, "target": request.GET.get("target", "")},
    )


# --- news ---------------------------------------------------------------------------------


@staff_required()
@require_GET
def news_list(request):
    news = NewsItem.objects.prefetch_related("translations").annotate(mailed=Count("mailings"))
    return render(
        request,
        "kb/desk/news_list.html",
        {"news": news, "now": timezone.now(), "section": "news"},
    )


@staff_required()
def news_edit(request, pk=None):
    news = (
        get_object_or_404(NewsItem.objects.prefetch_related(Prefetch("translations")), pk=pk)
        if pk
        else NewsItem(publish_at=timezone.now(), created_by=request.user)
    )
    form = NewsForm(
        request.POST or None, instance=news, may_mail=actions.may_mail_clients(request.user)
    )
    if request.method == "POST" and form.is_valid():
        try:
            news = actions.save_news(form.save(commit=False), form.versions(), request=request)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if (
                news.mail_clients
                and news.mailing_done_at is None
                and news.publish_at <= timezone.now()
            ):
                from .tasks import mail_news_now

                transaction.on_commit(lambda: mail_news_now(news.pk))
                messages.success(request, _("Saved. The news is being mailed to all clients."))
            else:
                messages.success(request, _("Saved."))
            return redirect("kb_desk:news")
    return render(
        request,
        "kb/desk/news_edit.html",
        {
            "form": form,
            "news": news,
            "mailed": news.mailings.count() if news.pk else 0,
            "section": "news",
        },
    )
