from django.urls import path

from . import ticket_views as tickets
from . import views

app_name = "portal"
urlpatterns = [
    path("", views.dashboard, name="home"),
    path("services/<int:pk>/", views.service_detail, name="service"),
    path("mail/", views.mail_history, name="mail_history"),
    path("mail/<int:pk>/", views.mail_detail, name="mail"),
    path("settings/profile/", views.profile, name="profile"),
    path("settings/contact-address/", views.contact_address, name="contact_address"),
    path("invoices/", views.invoices, name="invoices"),
    path("invoices/<int:pk>/", views.invoice_detail, name="invoice"),
    path("invoices/<int:pk>/pdf/", views.invoice_pdf_download, name="invoice_pdf"),
    path("invoices/<int:pk>/report/", views.report_payment, name="report_payment"),
    path("invoices/<int:pk>/credit/", views.apply_credit, name="apply_credit"),
    path("funds/", views.add_funds, name="add_funds"),
    path("quotes/", views.quotes, name="quotes"),
    path("quotes/<int:pk>/", views.quote_detail, name="quote"),
    path("quotes/<int:pk>/accept/", views.accept_quote, name="accept_quote"),
    path("tickets/", tickets.ticket_list, name="tickets"),
    path("tickets/new/", tickets.ticket_new, name="ticket_new"),
    path("tickets/<str:code>/", tickets.ticket_detail, name="ticket"),
    path("tickets/<str:code>/requests/<int:pk>/", tickets.decide_request, name="decide_request"),
    path(
        "tickets/<str:code>/attachments/<int:pk>/",
        tickets.attachment_download,
        name="ticket_attachment",
    ),
]
