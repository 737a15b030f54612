"""Who reaches which page: every pattern of the client area, the desk and the admin,
requested by every persona. The table below says, page by page, who may reach it; a page
missing from the table fails the test, so a new view comes with its decision.

The others are refused: anonymous visitors, and staff signed in without the two-factor
step, are sent to the login page; everyone else gets 403 or 404, and another client asking
for client A's objects gets 404 (nothing tells them the object exists)."""

import pytest
from django.db import transaction
from django.urls import reverse

from .pages import World, admin_pages, site_pages

pytestmark = pytest.mark.django_db

ANONYMOUS, CLIENT_A, CLIENT_B = "anonymous", "client A", "client B"
AGENT, BILLING, ADMIN, MFA_PENDING = "agent", "billing clerk", "admin", "staff with MFA pending"
PERSONAS = [ANONYMOUS, CLIENT_A, CLIENT_B, AGENT, BILLING, ADMIN, MFA_PENDING]

OWNER = {CLIENT_A}  # client A's objects: client B gets 404
CLIENTS = {CLIENT_A, CLIENT_B}  # pages of one's own account
STAFF = {AGENT, BILLING, ADMIN}
BILLING_STAFF = {BILLING, ADMIN}
TICKET_STAFF = {AGENT, ADMIN}  # the ticket is in the agent's department; admins see all
MAIL_STAFF = {AGENT, ADMIN}  # incoming mail and its quarantine
ADMINS = {ADMIN}

ALLOWED = {
    # --- client area
    "portal:home": CLIENTS,
    "portal:services": CLIENTS,
    "portal:service": OWNER,
    "portal:service_panel": OWNER,
    "portal:service_sso": OWNER,
    "portal:service_nameservers": OWNER,
    "portal:service_lock": OWNER,
    "portal:service_auth_code": OWNER,
    "portal:service_zone": OWNER,
    "portal:service_plan": OWNER,
    "portal:orders": CLIENTS,
    "portal:mail_history": CLIENTS,
    "portal:mail": OWNER,
    "portal:profile": CLIENTS,
    "portal:news_unsubscribe": set(PERSONAS) - {MFA_PENDING},  # the signed token suffices
    "portal:contact_address": CLIENTS,
    "portal:contacts": CLIENTS,
    "portal:contact_remove": OWNER,
    "portal:security": CLIENTS,
    "portal:session_end": OWNER,
    "portal:privacy": CLIENTS,
    "portal:privacy_export": CLIENTS,
    "portal:privacy_erasure": CLIENTS,
    "portal:privacy_download": OWNER,
    "portal:invoices": CLIENTS,
    "portal:invoice": OWNER,
    "portal:invoices_zip": OWNER,
    "portal:statement_csv": OWNER,
    "portal:statement_pdf": OWNER,
    "portal:invoice_pdf": OWNER,
    "portal:report_payment": OWNER,
    "portal:apply_credit": OWNER,
    "portal:apply_coupon": OWNER,
    "portal:einvoice_xml": OWNER,
    "portal:add_funds": CLIENTS,
    "portal:payments": CLIENTS,
    "portal:pay": CLIENTS,
    "portal:checkout_return": OWNER,
    "portal:checkout_cancel": OWNER,
    "portal:payment_methods": CLIENTS,
    "portal:payment_method_remove": OWNER,
    "portal:payment_method_default": OWNER,
    "portal:quotes": CLIENTS,
    "portal:quote": OWNER,
    "portal:accept_quote": OWNER,
    "portal:tickets": CLIENTS,
    "portal:ticket_new": CLIENTS,
    "portal:ticket": OWNER,
    "portal:ticket_close": OWNER,
    "portal:ticket_rate": OWNER,
    "portal:decide_request": OWNER,
    "portal:ticket_attachment": OWNER,
    "servers:migration": OWNER,
    "servers:monitoring": OWNER,
    "extra:home": CLIENTS,
    "extra:request": CLIENTS,
    "extra:estimate": CLIENTS,
    "extra:quote": OWNER,
    # --- desk
    "desk:home": STAFF,
    "desk:client": STAFF,
    "desk:client_edit": STAFF,
    "desk:audit": ADMINS,
    "desk:data_requests": ADMINS,
    "desk:data_request": ADMINS,
    "desk:inbound_list": MAIL_STAFF,
    "desk:mail_dns": ADMINS,
    "desk:inbound": MAIL_STAFF,
    "desk:inbound_release": MAIL_STAFF,
    "desk:inbound_delete": MAIL_STAFF,
    "desk:inbound_raw": MAIL_STAFF,
    "desk:tickets": STAFF,  # each sees the queues of their departments
    "desk:sla": STAFF,  # the service levels of their departments
    "desk:ticket_search": STAFF,  # only tickets of their departments are found
    "desk:tickets_bulk": STAFF,  # only tickets of their departments are changed
    "desk:queue_filter_save": STAFF,  # each their own filters
    "desk:queue_filter_delete": {AGENT},  # the agent's own filter; another's is not found
    "desk:ticket": TICKET_STAFF,
    "desk:ticket_presence": TICKET_STAFF,
    "desk:ticket_draft": TICKET_STAFF,
    "desk:ticket_updates": TICKET_STAFF,
    "desk:queue_updates": STAFF,  # counts only the tickets this user sees
    "desk:ticket_alerts": STAFF,  # only replies on tickets assigned to this user
    "desk:alert_settings": STAFF,  # each their own
    "desk:ticket_next": TICKET_STAFF,
    "desk:ticket_previous": TICKET_STAFF,
    "desk:ticket_attachment": TICKET_STAFF,
    "desk:job_runs": ADMINS,
    "desk:record_cancellation": STAFF,
    "desk:tasks": {AGENT, ADMIN},
    "desk:stop_renewal": BILLING_STAFF,
    "desk:service_suspend": STAFF,
    "desk:service_unsuspend": STAFF,
    "desk:service_terminate": STAFF,
    "desk:invoices": BILLING_STAFF,
    "desk:invoice_new": BILLING_STAFF,
    "desk:invoice": BILLING_STAFF,
    "desk:invoice_pdf": BILLING_STAFF,
    "desk:payments": BILLING_STAFF,
    "desk:statements": BILLING_STAFF,
    "desk:statement_entry_match": BILLING_STAFF,
    "desk:statement_entry_credit": BILLING_STAFF,
    "desk:statement_entry_dismiss": BILLING_STAFF,
    "desk:statement_entry_restore": BILLING_STAFF,
    "desk:payment_reports": BILLING_STAFF,
    "desk:payment_report_review": BILLING_STAFF,
    "desk:quotes": BILLING_STAFF,
    "desk:quote_new": BILLING_STAFF,
    "desk:quote": BILLING_STAFF,
    "desk:client_ledger": BILLING_STAFF,
    "desk:einvoices": BILLING_STAFF,
    "desk:einvoices_build": BILLING_STAFF,
    "desk:einvoice": BILLING_STAFF,
    "desk:einvoice_xml": BILLING_STAFF,
    # Orders are billing's; provisioning operations are done on the servers by agents.
    "desk:orders": BILLING_STAFF,
    "desk:order": BILLING_STAFF,
    "desk:provisioning": {AGENT, ADMIN},
    "desk:provisioning_operation": {AGENT, ADMIN},
    "desk:payment_events": BILLING_STAFF,
    "desk:payment_event": BILLING_STAFF,
    "desk:payment_refund": BILLING_STAFF,
    # Help-desk configuration: administrators.
    "desk:config": ADMINS,
    "desk:config_settings": ADMINS,
    "desk:config_list": ADMINS,
    "desk:config_new": ADMINS,
    "desk:config_edit": ADMINS,
    "desk:config_delete": ADMINS,
    "desk:job_history": ADMINS,
    "desk:job_run_now": ADMINS,
    "desk:overview": ADMINS,
    "desk:impersonate_start": ADMINS,  # and staff given core.impersonate_client
    "desk:impersonate_stop": STAFF,
    "desk:client_search": STAFF,
    "desk:ticket_new": TICKET_STAFF,
    # Everyone reads the server pages; opening and moving a migration on is narrower
    # (servers.actions.may_run_migrations, tested with the servers).
    "servers_desk:home": STAFF,
    "servers_desk:server": STAFF,
    # Everyone writes the knowledge base and news; mailing news to all clients is the
    # admins' (kb.actions.may_mail_clients, tested with the knowledge base).
    "kb_desk:articles": STAFF,
    "kb_desk:article_new": STAFF,
    "kb_desk:preview": STAFF,
    "kb_desk:reply_links": STAFF,
    "kb_desk:avoided": STAFF,
    "kb_desk:categories": STAFF,
    "kb_desk:category": STAFF,
    "kb_desk:article": STAFF,
    "kb_desk:translation": STAFF,
    "kb_desk:news": STAFF,
    "kb_desk:news_new": STAFF,
    "kb_desk:news_edit": STAFF,
    "extra:desk": STAFF,
    "extra:desk_estimate": STAFF,
    "extra:desk_action": TICKET_STAFF,
    # API tokens: clients their own, staff theirs (administrators revoke anyone's); webhooks
    # are read by staff, changed by administrators (tested with the API).
    "api:tokens": CLIENTS,
    "api:revoke": OWNER,
    "api_desk:tokens": STAFF,
    "api_desk:revoke": ADMINS,
    "api_desk:webhooks": STAFF,
    "api_desk:webhook": STAFF,
    "api_desk:delivery": STAFF,
    # Reports: the billing ones for billing staff, the help-desk ones for all staff.
    "reports:index": STAFF,
    "reports:revenue": BILLING_STAFF,
    "reports:revenue_csv": BILLING_STAFF,
    "reports:vat": BILLING_STAFF,
    "reports:vat_csv": BILLING_STAFF,
    "reports:receivables": BILLING_STAFF,
    "reports:receivables_csv": BILLING_STAFF,
    "reports:renewals": BILLING_STAFF,
    "reports:renewals_csv": BILLING_STAFF,
    "reports:helpdesk": STAFF,
    "reports:helpdesk_csv": STAFF,
    "reports:kb": STAFF,
    "reports:kb_csv": STAFF,
}


def guarded_pages():
    return [page for page in site_pages() if page.area in {"panel", "desk"}]


@pytest.fixture
def world(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return World()


def sign_in(client, world, persona):
    client.logout()
    user = {
        CLIENT_A: world.client_a.owner,
        CLIENT_B: world.client_b.owner,
        AGENT: world.agent,
        BILLING: world.billing_clerk,
        ADMIN: world.admin,
        MFA_PENDING: world.pending,
    }.get(persona)
    if user is not None:
        client.force_login(user, mfa=persona != MFA_PENDING)


def ask(client, world, persona, method, url):
    """One request, its effects undone: a POST that deletes or decides leaves the world as
    it was for the next page."""
    with transaction.atomic():
        sign_in(client, world, persona)
        response = client.post(url) if method == "post" else client.get(url)
        transaction.set_rollback(True)
    return response


# Pages whose answer is a redirect to another page (the next ticket of the queue).
LEADS_ELSEWHERE = {"desk:ticket_next", "desk:ticket_previous"}


def to_login(response) -> bool:
    login_pages = (reverse("account_login"), reverse("admin:login"))
    return response.status_code == 302 and response["Location"].startswith(login_pages)


def test_every_page_of_the_client_area_and_the_desk_is_in_the_table():
    names = {page.name for page in guarded_pages()}
    assert not names - ALLOWED.keys(), f"decide who may reach: {sorted(names - ALLOWED.keys())}"
    assert not ALLOWED.keys() - names, f"pages that no longer exist: {ALLOWED.keys() - names}"


@pytest.mark.parametrize("persona", PERSONAS)
def test_each_persona_reaches_only_the_pages_the_table_allows(client, world, persona):
    arguments = world.path_arguments()
    wrong = []
    for page in guarded_pages():
        url = reverse(page.name, kwargs=arguments.get(page.name))
        method = "post" if page.post_only else "get"
        response = ask(client, world, persona, method, url)
        status = response.status_code
        if persona in ALLOWED[page.name]:
            # A form posted empty may answer with the page or send back to it.
            reached = 200 <= status < 300 or (
                (page.post_only or page.name in LEADS_ELSEWHERE)
                and status == 302
                and not to_login(response)
            )
            if not reached:
                wrong.append(f"{method.upper()} {url}: {status}, should be reached")
        elif persona in {ANONYMOUS, MFA_PENDING}:
            if not to_login(response):
                wrong.append(f"{method.upper()} {url}: {status}, should go to the login page")
        elif persona == CLIENT_B and page.arguments and ALLOWED[page.name] == OWNER:
            if status != 404:
                wrong.append(f"{method.upper()} {url}: {status}, client A's object: 404")
        elif status not in (403, 404):
            wrong.append(f"{method.upper()} {url}: {status}, should be 403 or 404")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_administrators_reach_the_admin(client, world, persona):
    wrong = []
    for url, open_to_admins in admin_pages(world.admin):
        response = ask(client, world, persona, "get", url)
        status = response.status_code
        if persona == ADMIN:
            if status != (200 if open_to_admins else 403):
                wrong.append(f"{url}: {status}, should be {'reached' if open_to_admins else 403}")
        elif persona in {ANONYMOUS, MFA_PENDING}:
            if not to_login(response):
                wrong.append(f"{url}: {status}, should go to the login page")
        # Django's admin sends a signed-in person without the right to its own login
        # page, which says they are not authorised and shows nothing else.
        elif status not in (403, 404) and not to_login(response):
            wrong.append(f"{url}: {status}, should be refused")
    assert not wrong, "\n".join(wrong)
