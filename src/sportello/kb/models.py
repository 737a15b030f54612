from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from sportello.core.models import TranslatedName

from .markup import plain_text, render_markdown

LANGUAGE_CODES = [code for code, _name in settings.LANGUAGES]


def pick_language(available, preferred: str | None) -> str | None:
    """The reader's language when the text exists in it, else Italian, else any."""
    available = list(available)
    for code in (preferred, settings.LANGUAGE_CODE, *LANGUAGE_CODES):
        if code in available:
            return code
    return available[0] if available else None


class Category(TranslatedName):
    """A chapter of the table of contents; its name in each language."""

    slug = models.SlugField(_("code"), unique=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("knowledge-base category")
        verbose_name_plural = _("knowledge-base categories")
        ordering = ["position", "slug"]


class Article(models.Model):
    """One answer, written in one or more languages (its translations)."""

    class Audience(models.TextChoices):
        PUBLIC = "public", _("Everyone")
        CLIENTS = "clients", _("Logged-in clients only")

    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.PROTECT, related_name="articles"
    )
    slug = models.SlugField(_("address"), max_length=120, unique=True)
    audience = models.CharField(
        _("who may read it"), max_length=10, choices=Audience.choices, default=Audience.PUBLIC
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    related = models.ManyToManyField(
        "self", verbose_name=_("related articles"), symmetrical=False, blank=True
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        ordering = ["category", "position", "slug"]

    def __str__(self):
        return self.slug

    def get_absolute_url(self):
        return reverse("kb:article", args=[self.slug])

    def readable_by(self, user) -> bool:
        return self.audience == self.Audience.PUBLIC or bool(user and user.is_authenticated)


class ArticleTranslationQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=ArticleTranslation.Status.PUBLISHED)

    def visible_to(self, user):
        visible = self.published()
        if user is None or not user.is_authenticated:
            visible = visible.filter(article__audience=Article.Audience.PUBLIC)
        return visible


class ArticleTranslation(models.Model):
    """An article in one language, with its own publish state. The Markdown source is
    rendered (and sanitised) once on save; search indexes the plain text."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="translations")
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text (Markdown)"))
    body_html = models.TextField(editable=False, default="")
    body_text = models.TextField(editable=False, default="")
    status = models.CharField(
        _("state"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = ArticleTranslationQuerySet.as_manager()

    class Meta:
        verbose_name = _("article translation")
        verbose_name_plural = _("article translations")
        constraints = [
            models.UniqueConstraint(
                fields=["article", "language"], name="kb_one_translation_per_language"
            )
        ]
        indexes = [models.Index(fields=["language", "status"])]

    def __str__(self):
        return f"{self.title} ({self.language})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.body_html = render_markdown(self.body)
        self.body_text = plain_text(self.body_html)
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("kb:article_in", args=[self.article.slug, self.language])

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED


class Vote(models.Model):
    """One "was this helpful?" answer per person: per login, or per browser for visitors."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="votes")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    browser = models.CharField(max_length=64, blank=True)
    helpful = models.BooleanField(_("helpful"))
    at = models.DateTimeField(_("when"))

    class Meta:
        verbose_name = _("vote")
        verbose_name_plural = _("votes")
        constraints = [
            models.UniqueConstraint(
                fields=["article", "user"], condition=Q(user__isnull=False), name="kb_vote_per_user"
            ),
            models.UniqueConstraint(
                fields=["article", "browser"],
                condition=Q(user__isnull=True),
                name="kb_vote_per_browser",
            ),
            models.CheckConstraint(
                condition=Q(user__isnull=False) | ~Q(browser=""), name="kb_vote_has_voter"
            ),
        ]


class SuggestionOpening(models.Model):
    """An article opened from a suggestion while a ticket was being written. Unless the
    same person opens a ticket soon after, the article saved the provider a ticket."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="openings")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    session_key = models.CharField(max_length=64, blank=True)
    opened_at = models.DateTimeField(_("opened"), db_index=True)
    ticket_followed_at = models.DateTimeField(_("ticket opened after it"), null=True, blank=True)

    class Meta:
        verbose_name = _("suggestion opened")
        verbose_name_plural = _("suggestions opened")
        indexes = [models.Index(fields=["user", "opened_at"])]


class NewsItem(models.Model):
    """An announcement: shown from its publish date on the dashboard, the news page and
    the feeds; optionally mailed once to every client."""

    publish_at = models.DateTimeField(_("publish on"), db_index=True)
    mail_clients = models.BooleanField(
        _("mail it to all clients"),
        default=False,
        help_text=_("Each client receives it once, in their language, from the publish date."),
    )
    mailing_done_at = models.DateTimeField(_("mailed to every client"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("news item")
        verbose_name_plural = _("news")
        ordering = ["-publish_at", "-id"]

    def __str__(self):
        first = self.translations.first()
        return first.title if first else f"#{self.pk}"

    def get_absolute_url(self):
        return reverse("kb:news_item", args=[self.pk])

    def translation_for(self, language: str | None) -> "NewsTranslation | None":
        versions = {t.language: t for t in self.translations.all()}
        code = pick_language(versions, language)
        return versions.get(code) if code else None


class NewsTranslation(models.Model):
    news = models.ForeignKey(NewsItem, on_delete=models.CASCADE, related_name="translations")
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text (Markdown)"))
    body_html = models.TextField(editable=False, default="")

    class Meta:
        verbose_name = _("news translation")
        verbose_name_plural = _("news translations")
        constraints = [
            models.UniqueConstraint(fields=["news", "language"], name="kb_one_news_per_language")
        ]

    def __str__(self):
        return f"{self.title} ({self.language})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.body_html = render_markdown(self.body)
        super().save(*args, **kwargs)


class NewsMailing(models.Model):
    """The claim that a news item was mailed to a client: one row, so one email."""

    news = models.ForeignKey(NewsItem, on_delete=models.CASCADE, related_name="mailings")
    client = models.ForeignKey("accounts.Client", on_delete=models.CASCADE, related_name="+")
    email = models.ForeignKey(
        "mail.OutboundEmail", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["news", "client"], name="kb_news_mailed_once")
        ]
