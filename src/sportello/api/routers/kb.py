from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema

from sportello.kb.models import ArticleTranslation

from .. import scopes
from ..http import PublicAuth, need, paginate, token_of
from .common import LIMIT, page, page_of, responses

router = Router(tags=["knowledge base"], auth=PublicAuth())


class ArticleOut(Schema):
    id: int
    slug: str
    language: str
    title: str
    category: str
    audience: str
    published_at: datetime | None
    updated_at: datetime

    @staticmethod
    def resolve_slug(version: ArticleTranslation) -> str:
        return version.article.slug

    @staticmethod
    def resolve_category(version: ArticleTranslation) -> str:
        return version.article.category.slug

    @staticmethod
    def resolve_audience(version: ArticleTranslation) -> str:
        return version.article.audience


class ArticleDetailOut(ArticleOut):
    body: str
    body_html: str


class ArticleFilters(Schema):
    language: Literal["it", "en", "es"] | None = None
    category: str | None = None
    limit: int = LIMIT
    cursor: str | None = None
    ordering: Literal["id", "-id", "updated_at", "-updated_at"] = "id"


def _versions(request: HttpRequest) -> Any:
    """Published versions: without a token the public articles, with one (kb:read) also
    those for logged-in clients."""
    user = None
    if token_of(request) is not None:
        user = need(request, scopes.KB_READ).user
    return ArticleTranslation.objects.visible_to(user).select_related(
        "article", "article__category"
    )


@router.get("/kb/articles", response=responses(page_of(ArticleOut)),
            openapi_extra={"x-scope": scopes.KB_READ})  # fmt: skip
def list_articles(request: HttpRequest, filters: Query[ArticleFilters]) -> Any:
    """Knowledge-base articles, one item per language version; no token needed."""
    rows = _versions(request)
    if filters.language:
        rows = rows.filter(language=filters.language)
    if filters.category:
        rows = rows.filter(article__category__slug=filters.category)
    items, following = paginate(rows, limit=filters.limit, cursor=filters.cursor,
                                ordering=filters.ordering,
                                allowed={"id": "id", "updated_at": "updated_at"})  # fmt: skip
    return page(items, following)


@router.get("/kb/articles/{slug}/{language}", response=responses(ArticleDetailOut),
            openapi_extra={"x-scope": scopes.KB_READ})  # fmt: skip
def get_article(request: HttpRequest, slug: str, language: Literal["it", "en", "es"]) -> Any:
    return _versions(request).get(article__slug=slug, language=language)
