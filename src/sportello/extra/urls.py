"""Extra-contract pages: the client's under /panel/extra/, the staff's under /desk/extra/."""

from django.urls import path

from . import views

app_name = "extra"
urlpatterns = [
    path("panel/extra/", views.client_home, name="home"),
    path("panel/extra/new/", views.client_request, name="request"),
    path("panel/extra/estimate/", views.client_estimate, name="estimate"),
    path("panel/extra/<str:code>/quote/", views.client_quote, name="quote"),
    path("desk/extra/", views.desk_list, name="desk"),
    path("desk/extra/estimate/", views.desk_estimate, name="desk_estimate"),
    path("desk/extra/<str:code>/<str:action>/", views.desk_action, name="desk_action"),
]
