from django.urls import path

from . import views
from .feeds import NewsFeed

app_name = "kb"
urlpatterns = [
    path("kb/", views.index, name="index"),
    path("kb/search/", views.search_page, name="search"),
    path("kb/suggestions/", views.suggestions, name="suggestions"),
    path("kb/<slug:slug>/", views.article, name="article"),
    path("kb/<slug:slug>/vote/", views.vote, name="vote"),
    path("kb/<slug:slug>/<str:language>/", views.article, name="article_in"),
    path("news/", views.news_list, name="news"),
    path("news/feed/<str:language>/", NewsFeed(), name="news_feed"),
    path("news/<int:pk>/", views.news_item, name="news_item"),
    path("news/<int:pk>/<str:language>/", views.news_item, name="news_item_in"),
]
