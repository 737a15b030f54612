from django.urls import path

from . import views

urlpatterns = [
    path("staff/enrol/<str:uidb64>/<str:token>/", views.staff_enrol, name="staff_enrol"),
]
