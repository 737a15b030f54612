from django.urls import path

from . import desk_views

app_name = "api_desk"
urlpatterns = [
    path("tokens/", desk_views.tokens, name="tokens"),
    path("tokens/<int:pk>/revoke/", desk_views.revoke, name="revoke"),
    path("webhooks/", desk_views.webhooks, name="webhooks"),
    path("webhooks/<int:pk>/", desk_views.webhook, name="webhook"),
    path("webhooks/deliveries/<int:pk>/", desk_views.delivery, name="delivery"),
]
