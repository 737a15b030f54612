from django.urls import path

from sportello.accounts import views as accounts
from sportello.billing import views as billing
from sportello.einvoice import views as einvoice
from sportello.helpdesk import views as tickets
from sportello.mail import views as mail
from sportello.orders import views as orders
from sportello.payments import views as payments
from sportello.privacy import views as privacy
from sportello.provisioning import views as provisioning

from . import views

app_name = "portal"
urlpatterns = [
    path("", views.dashboard, name="home"),
    path("services/", views.services, name="services"),
    path("services/<int:pk>/", views.service_detail, name="service"),
    path("services/<int:pk>/manage/", provisioning.service_panel, name="service_panel"),
    path("services/<int:pk>/sso/", provisioning.service_sso, name="service_sso"),
    path(
        "services/<int:pk>/nameservers/",
        provisioning.service_nameservers,
        name="service_nameservers",
    ),  # fmt: skip
    path("services/<int:pk>/lock/", provisioning.service_lock, name="service_lock"),
    path("services/<int:pk>/auth-code/", provisioning.service_auth_code, name="service_auth_code"),
    path("services/<int:pk>/zone/", provisioning.service_zone, name="service_zone"),
    path("services/<int:pk>/plan/", orders.service_plan, name="service_plan"),
    path("orders/", orders.my_orders, name="orders"),
    path("mail/", mail.mail_history, name="mail_history"),
    path("mail/<int:pk>/", mail.mail_detail, name="mail"),
    path("settings/profile/", accounts.profile, name="profile"),
    path("news/unsubscribe/<str:token>/", accounts.news_unsubscribe, name="news_unsubscribe"),
    path("settings/contact-address/", views.contact_address, name="contact_address"),
    path("settings/privacy/", privacy.privacy, name="privacy"),
    path("settings/privacy/export/", privacy.request_export, name="privacy_export"),
    path("settings/privacy/erasure/", privacy.request_erasure, name="privacy_erasure"),
    path("settings/privacy/<int:pk>/download/", privacy.download_export, name="privacy_download"),
    path("settings/contacts/", accounts.contacts, name="contacts"),
    path("settings/contacts/<int:pk>/remove/", accounts.contact_remove, name="contact_remove"),
    path("settings/security/", accounts.security, name="security"),
    path("settings/security/sessions/<int:pk>/end/", accounts.session_end, name="session_end"),
    path("invoices/", billing.invoices, name="invoices"),
    path("invoices/<int:year>/invoices.zip", billing.invoices_zip, name="invoices_zip"),
    path("statement/<int:year>/csv/", billing.statement_csv, name="statement_csv"),
    path("statement/<int:year>/pdf/", billing.statement_pdf, name="statement_pdf"),
    path("invoices/<int:pk>/", billing.invoice_detail, name="invoice"),
    path("invoices/<int:pk>/pdf/", billing.invoice_pdf_download, name="invoice_pdf"),
    path("invoices/<int:pk>/xml/", einvoice.einvoice_xml, name="einvoice_xml"),
    path("invoices/<int:pk>/report/", billing.report_payment, name="report_payment"),
    path("invoices/<int:pk>/credit/", billing.apply_credit, name="apply_credit"),
    path("invoices/<int:pk>/coupon/", billing.apply_coupon, name="apply_coupon"),
    path("funds/", billing.add_funds, name="add_funds"),
    path("payments/", billing.payments, name="payments"),
    path("pay/", payments.pay, name="pay"),
    path("pay/<int:pk>/return/", payments.checkout_return, name="checkout_return"),
    path("pay/<int:pk>/cancel/", payments.checkout_cancel, name="checkout_cancel"),
    path("settings/payment-methods/", payments.payment_methods, name="payment_methods"),
    path(
        "settings/payment-methods/<int:pk>/remove/",
        payments.payment_method_remove,
        name="payment_method_remove",
    ),
    path(
        "settings/payment-methods/<int:pk>/default/",
        payments.payment_method_default,
        name="payment_method_default",
    ),
    path("quotes/", billing.quotes, name="quotes"),
    path("quotes/<int:pk>/", billing.quote_detail, name="quote"),
    path("quotes/<int:pk>/accept/", billing.accept_quote, name="accept_quote"),
    path("tickets/", tickets.ticket_list, name="tickets"),
    path("tickets/new/", tickets.ticket_new, name="ticket_new"),
    path("tickets/<str:code>/", tickets.ticket_detail, name="ticket"),
    path("tickets/<str:code>/close/", tickets.ticket_close, name="ticket_close"),
    path("tickets/<str:code>/rate/", tickets.ticket_rate, name="ticket_rate"),
    path("tickets/<str:code>/requests/<int:pk>/", tickets.decide_request, name="decide_request"),
    path(
        "tickets/<str:code>/attachments/<int:pk>/",
        tickets.attachment_download,
        name="ticket_attachment",
    ),
]
