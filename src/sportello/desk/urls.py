from django.urls import path

from . import views

app_name = "desk"
urlpatterns = [
    path("", views.client_list, name="home"),
    path("clients/<int:pk>/", views.client_detail, name="client"),
    path("clients/<int:pk>/edit/", views.client_edit, name="client_edit"),
    path("audit/", views.audit_log, name="audit"),
]
