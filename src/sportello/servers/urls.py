from django.urls import path

from . import views

app_name = "servers"
urlpatterns = [
    path("<int:pk>/migration/", views.migration, name="migration"),
    path("<int:pk>/monitoring/", views.monitoring, name="monitoring"),
]
