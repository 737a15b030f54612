from django.urls import path

from . import views

app_name = "servers_desk"
urlpatterns = [
    path("", views.desk_home, name="home"),
    path("<int:pk>/", views.desk_server, name="server"),
]
