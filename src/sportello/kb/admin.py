from django.contrib import admin

from .models import Article, ArticleTranslation, Category, NewsItem, NewsTranslation


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "name_en", "name_es", "slug", "position"]


class ArticleTranslationInline(admin.StackedInline):
    model = ArticleTranslation
    extra = 0
    fields = ["language", "title", "body", "status", "published_at"]


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = ["slug", "category", "audience", "updated_at"]
    list_filter = ["category", "audience"]
    search_fields = ["slug", "translations__title"]
    filter_horizontal = ["related"]
    inlines = [ArticleTranslationInline]


class NewsTranslationInline(admin.StackedInline):
    model = NewsTranslation
    extra = 0
    fields = ["language", "title", "body"]


@admin.register(NewsItem)
class NewsItemAdmin(admin.ModelAdmin):
    list_display = ["__str__", "publish_at", "mail_clients", "mailing_done_at"]
    inlines = [NewsTranslationInline]
