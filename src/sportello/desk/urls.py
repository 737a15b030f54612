from django.urls import path

from sportello.accounts import desk_views as accounts
from sportello.automation import desk_views as automation
from sportello.billing import desk_views as billing
from sportello.core import desk_views as core
from sportello.einvoice import desk_views as einvoice
from sportello.helpdesk import config_views as desk_config
from sportello.helpdesk import desk_open_views as desk_open
from sportello.helpdesk import desk_views as tickets
from sportello.mail import desk_views as mail
from sportello.orders import desk_views as orders
from sportello.payments import desk_views as payments
from sportello.privacy import desk_views as privacy
from sportello.services import desk_views as services

from . import views

app_name = "desk"
urlpatterns = [
    path("", views.client_list, name="home"),
    path("overview/", views.overview, name="overview"),
    path("clients/search/", views.client_search, name="client_search"),
    path("clients/<int:pk>/", views.client_detail, name="client"),
    path("clients/<int:pk>/edit/", accounts.client_edit, name="client_edit"),
    path("view-as/stop/", accounts.impersonate_stop, name="impersonate_stop"),
    path("clients/<int:pk>/view-as/", accounts.impersonate_start, name="impersonate_start"),
    path("audit/", core.audit_log, name="audit"),
    path("privacy/", privacy.data_requests, name="data_requests"),
    path("privacy/<int:pk>/", privacy.data_request, name="data_request"),
    path("mail/", mail.inbound_list, name="inbound_list"),
    path("mail/dns/", mail.mail_dns, name="mail_dns"),
    path("mail/<int:pk>/", mail.inbound_detail, name="inbound"),
    path("mail/<int:pk>/release/", mail.inbound_release, name="inbound_release"),
    path("mail/<int:pk>/delete/", mail.inbound_delete, name="inbound_delete"),
    path("mail/<int:pk>/raw/", mail.inbound_raw, name="inbound_raw"),
    path("tickets/", tickets.ticket_queue, name="tickets"),
    path("sla/", tickets.sla_overview, name="sla"),
    path("tickets/new/", desk_open.ticket_new, name="ticket_new"),
    path("tickets/search/", tickets.ticket_search, name="ticket_search"),
    path("tickets/bulk/", tickets.tickets_bulk, name="tickets_bulk"),
    path("tickets/filters/", tickets.queue_filter_save, name="queue_filter_save"),
    path(
        "tickets/filters/<int:pk>/delete/", tickets.queue_filter_delete, name="queue_filter_delete"
    ),
    path("tickets/updates/", tickets.queue_updates, name="queue_updates"),
    path("tickets/alerts/", tickets.ticket_alerts, name="ticket_alerts"),
    path("tickets/alerts/settings/", tickets.alert_settings, name="alert_settings"),
    path("tickets/<str:code>/", tickets.ticket_detail, name="ticket"),
    path("tickets/<str:code>/updates/", tickets.ticket_updates, name="ticket_updates"),
    path("tickets/<str:code>/presence/", tickets.presence, name="ticket_presence"),
    path("tickets/<str:code>/draft/", tickets.draft_save, name="ticket_draft"),
    path("tickets/<str:code>/next/", tickets.neighbour, {"direction": "next"}, name="ticket_next"),
    path(
        "tickets/<str:code>/previous/",
        tickets.neighbour,
        {"direction": "previous"},
        name="ticket_previous",
    ),
    path(
        "tickets/<str:code>/attachments/<int:pk>/",
        tickets.attachment_download,
        name="ticket_attachment",
    ),
    path("jobs/", automation.job_runs, name="job_runs"),
    path("jobs/<slug:name>/", automation.job_history, name="job_history"),
    path("jobs/<slug:name>/run/", automation.job_run_now, name="job_run_now"),
    # Help-desk configuration: administrators.
    path("config/", desk_config.config_home, name="config"),
    path("config/settings/", desk_config.config_settings, name="config_settings"),
    path("config/<slug:section>/", desk_config.config_list, name="config_list"),
    path("config/<slug:section>/new/", desk_config.config_edit, name="config_new"),
    path("config/<slug:section>/<int:pk>/", desk_config.config_edit, name="config_edit"),
    path(
        "config/<slug:section>/<int:pk>/delete/",
        desk_config.config_delete,
        name="config_delete",
    ),
    path("services/<int:pk>/cancel/", services.record_cancellation, name="record_cancellation"),
    path("services/<int:pk>/stop-renewal/", services.stop_renewal, name="stop_renewal"),
    path(
        "services/<int:pk>/suspend/",
        services.change_status,
        {"change": "suspend"},
        name="service_suspend",
    ),
    path(
        "services/<int:pk>/unsuspend/",
        services.change_status,
        {"change": "unsuspend"},
        name="service_unsuspend",
    ),
    path(
        "services/<int:pk>/terminate/",
        services.change_status,
        {"change": "terminate"},
        name="service_terminate",
    ),
    path("services/tasks/", services.tasks, name="tasks"),
    path("services/provisioning/", orders.operations, name="provisioning"),
    path("services/provisioning/<int:pk>/", orders.operation, name="provisioning_operation"),
    path("orders/", orders.orders, name="orders"),
    path("orders/<int:pk>/", orders.order, name="order"),
    # Billing: administrators and billing clerks.
    path("billing/invoices/", billing.invoice_list, name="invoices"),
    path("billing/invoices/new/", billing.invoice_new, name="invoice_new"),
    path("billing/invoices/<int:pk>/", billing.invoice_detail, name="invoice"),
    path("billing/invoices/<int:pk>/pdf/", billing.invoice_pdf_download, name="invoice_pdf"),
    path("billing/payments/", billing.payment_list, name="payments"),
    path("billing/statements/", billing.statements, name="statements"),
    path(
        "billing/statements/entries/<int:pk>/match/",
        billing.statement_entry_match,
        name="statement_entry_match",
    ),
    path(
        "billing/statements/entries/<int:pk>/credit/",
        billing.statement_entry_credit,
        name="statement_entry_credit",
    ),
    path(
        "billing/statements/entries/<int:pk>/dismiss/",
        billing.statement_entry_dismiss,
        name="statement_entry_dismiss",
    ),
    path(
        "billing/statements/entries/<int:pk>/restore/",
        billing.statement_entry_restore,
        name="statement_entry_restore",
    ),
    path("billing/payment-reports/", billing.payment_reports, name="payment_reports"),
    path(
        "billing/payment-reports/<int:pk>/review/",
        billing.payment_report_review,
        name="payment_report_review",
    ),
    path("billing/quotes/", billing.quote_list, name="quotes"),
    path("billing/quotes/new/", billing.quote_new, name="quote_new"),
    path("billing/quotes/<int:pk>/", billing.quote_detail, name="quote"),
    path("billing/clients/<int:pk>/ledger/", billing.client_ledger, name="client_ledger"),
    path("billing/einvoices/", einvoice.einvoice_list, name="einvoices"),
    path("billing/einvoices/build/", einvoice.einvoice_build_all, name="einvoices_build"),
    path("billing/einvoices/<int:pk>/", einvoice.einvoice_detail, name="einvoice"),
    path("billing/einvoices/<int:pk>/xml/", einvoice.einvoice_xml, name="einvoice_xml"),
    path("billing/online/events/", payments.payment_events, name="payment_events"),
    path("billing/online/events/<int:pk>/", payments.payment_event, name="payment_event"),
    path("billing/online/<int:pk>/refund/", payments.payment_refund, name="payment_refund"),
]
