from django.urls import path

from . import desk_views as views

app_name = "kb_desk"
urlpatterns = [
    path("kb/", views.article_list, name="articles"),
    path("kb/new/", views.article_edit, name="article_new"),
    path("kb/preview/", views.preview, name="preview"),
    path("kb/reply-links/", views.reply_links, name="reply_links"),
    path("kb/avoided/", views.avoided, name="avoided"),
    path("kb/categories/", views.categories, name="categories"),
    path("kb/categories/<int:pk>/", views.categories, name="category"),
    path("kb/<int:pk>/", views.article_edit, name="article"),
    path("kb/<int:pk>/<str:language>/", views.translation_edit, name="translation"),
    path("news/", views.news_list, name="news"),
    path("news/new/", views.news_edit, name="news_new"),
    path("news/<int:pk>/", views.news_edit, name="news_edit"),
]
