from django.urls import path

from . import views

app_name = "orders"
urlpatterns = [
    path("order/", views.catalogue, name="catalogue"),
    path("order/domain/", views.domain, name="domain"),
    path("order/cart/", views.cart, name="cart"),
    path("order/cart/add/", views.add, name="add"),
    path("order/cart/remove/", views.remove, name="remove"),
    path("order/placed/", views.placed, name="placed"),
]
