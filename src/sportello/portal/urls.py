from django.urls import path

from . import views

app_name = "portal"
urlpatterns = [
    path("", views.dashboard, name="home"),
    path("services/<int:pk>/", views.service_detail, name="service"),
    path("mail/", views.mail_history, name="mail_history"),
    path("mail/<int:pk>/", views.mail_detail, name="mail"),
    path("settings/profile/", views.profile, name="profile"),
    path("settings/contact-address/", views.contact_address, name="contact_address"),
]
