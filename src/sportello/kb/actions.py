"""Operations of the knowledge base and the announcements."""

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, TypedDict

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.http import HttpRequest
from django.utils.translation import gettext as _

from sportello.accounts.actions import news_unsubscribe_url
from sportello.accounts.models import Client, User
from sportello.core import audit
from sportello.core.models import AuditEvent
from sportello.mail.actions import queue_to_client

from .models import (
    Article,
    ArticleTranslation,
    NewsItem,
    NewsMailing,
    NewsTranslation,
    SuggestionOpening,
    Vote,
)

if TYPE_CHECKING:
    from .forms import ArticleForm

# Who reads, votes or opens a suggestion: a login, or a visitor known by a cookie.
Reader = User | AnonymousUser | None

# An article opened from a suggestion counts as a ticket avoided unless the same person
# opens a ticket within this time.
TICKET_WINDOW = timedelta(hours=24)
MAILING_BATCH = 200


# --- articles -----------------------------------------------------------------------------


def save_article(form: "ArticleForm", *, request: HttpRequest | None = None) -> Article:
    """The article's place and audience (category, address, related articles)."""
    with transaction.atomic():
        article: Article = form.save()
        audit.record(AuditEvent.Action.ARTICLE_SAVED, request=request, detail=article.slug)
    return article


def save_translation(article: Article, language: str, *, title: str, body: str, now: datetime,
                     publish: bool | None = None,
                     request: HttpRequest | None = None) -> ArticleTranslation:  # fmt: skip
    """Write one language version; `publish` True/False also changes its state."""
    title, body = title.strip(), body.strip()
    if not title or not body:
        raise ValidationError(_("An article needs a title and a text."))
    with transaction.atomic():
        translation = ArticleTranslation.objects.filter(article=article, language=language).first()
        translation = translation or ArticleTranslation(article=article, language=language)
        translation.title, translation.body = title, body
        was_published = translation.is_published
        if publish is True:
            translation.status = ArticleTranslation.Status.PUBLISHED
            translation.published_at = translation.published_at or now
        elif publish is False:
            translation.status = ArticleTranslation.Status.DRAFT
        translation.save()
        article.save(update_fields=["updated_at"])
        if translation.is_published and not was_published:
            action = AuditEvent.Action.ARTICLE_PUBLISHED
        elif was_published and not translation.is_published:
            action = AuditEvent.Action.ARTICLE_UNPUBLISHED
        else:
            action = AuditEvent.Action.ARTICLE_SAVED
        audit.record(action, request=request, detail=f"{article.slug} [{language}] {title}")
    return translation


# --- helpful votes ------------------------------------------------------------------------


def vote(article: Article, helpful: bool, *, user: Reader = None, browser: str = "",
         now: datetime) -> Vote:  # fmt: skip
    """One vote per person; voting again changes the answer instead of adding one."""
    key: dict[str, Any]
    if user is not None and user.is_authenticated:
        key = {"user": user}
    elif browser:
        key = {"user": None, "browser": browser}
    else:
        raise ValidationError(_("Your browser did not keep our cookie: the vote was not counted."))
    with transaction.atomic():
        existing = Vote.objects.select_for_update().filter(article=article, **key).first()
        if existing:
            existing.helpful, existing.at = helpful, now
            existing.save(update_fields=["helpful", "at"])
            return existing
        try:
            with transaction.atomic():
                return Vote.objects.create(article=article, helpful=helpful, at=now, **key)
        except IntegrityError:  # the same person voting twice at once: the first one stands
            return Vote.objects.get(article=article, **key)


def helpful_count(article: Article) -> int:
    return article.votes.filter(helpful=True).count()


def vote_of(article: Article, *, user: Reader = None, browser: str = "") -> Vote | None:
    if user is not None and user.is_authenticated:
        return article.votes.filter(user=user).first()
    if browser:
        return article.votes.filter(user=None, browser=browser).first()
    return None


# --- suggestions and the tickets they avoided (HD-11) -----------------------------------


def record_suggestion_opening(article: Article, *, user: Reader = None, session_key: str = "",
                              now: datetime) -> SuggestionOpening | None:  # fmt: skip
    """Remember that someone writing a ticket opened this suggested article. Opening it
    again within the ticket window does not count twice."""
    key: dict[str, Any]
    if user is not None and user.is_authenticated:
        key = {"user": user}
    elif session_key:
        key = {"user": None, "session_key": session_key}
    else:
        return None
    with transaction.atomic():
        recent = SuggestionOpening.objects.filter(
            article=article, opened_at__gt=now - TICKET_WINDOW, ticket_followed_at=None, **key
        ).first()
        if recent:
            return recent
        return SuggestionOpening.objects.create(article=article, opened_at=now, **key)


def suggestions_followed_by_ticket(user: Reader, now: datetime, *, session_key: str = "") -> int:
    """The help desk calls this when `user` opens a ticket: the suggestions they opened in
    the last 24 hours did not avoid it. Returns how many openings it marked."""
    who = Q(user=user) if user is not None and user.is_authenticated else Q(pk__in=[])
    if session_key:
        who |= Q(user=None, session_key=session_key)
    return SuggestionOpening.objects.filter(
        who, opened_at__gt=now - TICKET_WINDOW, opened_at__lte=now, ticket_followed_at=None
    ).update(ticket_followed_at=now)


class TicketsAvoided(TypedDict):
    # Rows of `opened`, `followed` and `avoided`, with `article_id` and `article__slug`
    # per article, with `month` per month.
    per_article: list[Mapping[str, Any]]
    per_month: list[Mapping[str, Any]]
    avoided: int
    pending: int


def tickets_avoided(now: datetime, *, months: int = 12) -> TicketsAvoided:
    """Per article and per month: suggestions opened, followed by a ticket, and avoided.
    Openings younger than the ticket window are still pending and not counted yet."""
    settled = SuggestionOpening.objects.filter(
        opened_at__lte=now - TICKET_WINDOW, opened_at__gt=now - timedelta(days=31 * months)
    )
    opened = Count("id")
    followed = Count("id", filter=~Q(ticket_followed_at=None))
    avoided = Count("id", filter=Q(ticket_followed_at=None))
    per_article: list[Mapping[str, Any]] = list(
        settled.values("article_id", "article__slug")
        .annotate(opened=opened, followed=followed, avoided=avoided)
        .order_by("-avoided")
    )
    per_month: list[Mapping[str, Any]] = list(
        settled.annotate(month=TruncMonth("opened_at"))
        .values("month")
        .annotate(opened=opened, followed=followed, avoided=avoided)
        .order_by("-month")
    )
    pending = SuggestionOpening.objects.filter(
        opened_at__gt=now - TICKET_WINDOW, ticket_followed_at=None
    ).count()
    return {
        "per_article": per_article,
        "per_month": per_month,
        "avoided": sum(row["avoided"] for row in per_article),
        "pending": pending,
    }


# --- announcements ------------------------------------------------------------------------


def may_mail_clients(user: Reader) -> bool:
    """Mailing a news item to every client speaks to all of them at once in the provider's
    name: administrators decide it. Agents and billing clerks write and publish news."""
    return bool(user and user.is_authenticated and user.is_admin)


def _to_be_mailed(news: NewsItem) -> bool:
    stored = NewsItem.objects.filter(pk=news.pk).first() if news.pk else None
    return any(
        item.mail_clients and item.mailing_done_at is None for item in (news, stored) if item
    )


def save_news(news: NewsItem, versions: dict[str, tuple[str, str]], *,
              request: HttpRequest | None = None) -> NewsItem:  # fmt: skip
    """Save a news item and its language versions ({language: (title, body)}); a language
    left empty is removed. A news item that is, or was, to be mailed to all clients is
    saved by an administrator only: another may not send their text to every client, nor
    stop the mailing an administrator decided."""
    user = getattr(request, "user", None)
    if user is not None and not may_mail_clients(user) and _to_be_mailed(news):
        raise ValidationError(
            _("Only an administrator mails news to all clients or changes news to be mailed.")
        )
    versions = {code: (t.strip(), b.strip()) for code, (t, b) in versions.items()}
    for title, body in versions.values():
        if bool(title) != bool(body):
            raise ValidationError(_("Each language needs both a title and a text."))
    if not any(title and body for title, body in versions.values()):
        raise ValidationError(_("Write the news in at least one language."))
    with transaction.atomic():
        news.save()
        for language, (title, body) in versions.items():
            if not title:
                news.translations.filter(language=language).delete()
                continue
            version = news.translations.filter(language=language).first()
            version = version or NewsTranslation(news=news, language=language)
            version.title, version.body = title, body
            version.save()
        audit.record(AuditEvent.Action.NEWS_SAVED, request=request, detail=f"#{news.pk} {news}")
    return news


def published_news(now: datetime) -> QuerySet[NewsItem]:
    return NewsItem.objects.filter(publish_at__lte=now).prefetch_related("translations")


def latest_news(
    language: str, now: datetime, limit: int = 3
) -> list[tuple[NewsItem, NewsTranslation]]:
    """(news item, its version for the reader) of the latest published news."""
    items = []
    for news in published_news(now)[:limit]:
        version = news.translation_for(language)
        if version:
            items.append((news, version))
    return items


def mail_news(news: NewsItem, now: datetime, *, batch_size: int = MAILING_BATCH) -> int:
    """Mail a published news item to every client who has not had it yet, in their
    language, a batch of clients per transaction. The unique claim per (news, client)
    makes a second run, or two runs at once, send nothing twice."""
    if not news.mail_clients or news.publish_at > now:
        return 0
    queued = 0
    last_id = 0
    while True:
        batch = list(
            Client.objects.filter(owner__is_active=True, news_by_email=True, pk__gt=last_id)
            .exclude(pk__in=NewsMailing.objects.filter(news=news).values("client_id"))
            .select_related("owner")
            .order_by("pk")[:batch_size]
        )
        if not batch:
            break
        last_id = batch[-1].pk
        for client in batch:
            queued += _mail_one(news, client, now)
    with transaction.atomic():
        finished = NewsItem.objects.filter(pk=news.pk, mailing_done_at=None).update(
            mailing_done_at=now
        )
        if finished:
            audit.record(
                AuditEvent.Action.NEWS_MAILED,
                detail=f"#{news.pk} {news}: {queued}",
            )
    return queued


def _mail_one(news: NewsItem, client: Client, now: datetime) -> int:
    version = news.translation_for(client.language)
    if version is None:
        return 0
    try:
        with transaction.atomic():
            claim = NewsMailing.objects.create(news=news, client=client, at=now)
            unsubscribe = news_unsubscribe_url(client)
            claim.email = queue_to_client(
                client,
                "news",
                {"news": news, "version": version, "unsubscribe_url": unsubscribe},
                list_unsubscribe=unsubscribe,
            )
            claim.save(update_fields=["email"])
    except IntegrityError:  # another run mailed this client first
        return 0
    return 1
