"""Every operation of the API × every kind of caller: no token, client B's token on client
A's objects, a token without the operation's scope, an expired one, a revoked one, and the
right token. Each answer is checked against the published OpenAPI document."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from sportello.api import actions, scopes
from sportello.api.models import ApiToken
from sportello.billing.models import Quote
from sportello.services.models import Service

from .openapi import check_response, operations

pytestmark = pytest.mark.django_db

# What only staff may do (client tokens: 403).
STAFF_ONLY = {
    "create_service", "cancel_service", "suspend_service", "unsuspend_service",
    "terminate_service", "create_invoice", "issue_invoice", "credit_invoice",
    "record_payment", "add_note", "assign", "close", "usage", "dry_run", "create_quote",
    "send_quote",
}  # fmt: skip
# What only a client's own token may do (staff tokens: 403), as in the panel.
CLIENT_ONLY = {"accept_quote"}
PUBLIC = {"list_articles", "get_article"}


def operation_name(operation: dict) -> str:
    # ninja's operationId: "sportello_api_routers_<module>_<function>"
    return operation["operationId"].rsplit("_routers_", 1)[1].split("_", 1)[1]


def arguments(world, name: str) -> dict:
    args = {
        "client_id": world.client_a.pk,
        "service_id": world.service.pk,
        "invoice_id": world.invoice.pk,
        "payment_id": world.payment.pk,
        "quote_id": world.quote.pk,
        "code": world.ticket.code,
        "attachment_id": world.attachment.pk,
        "slug": world.article.slug,
        "language": "it",
    }
    if name == "issue_invoice":
        args["invoice_id"] = world.draft.pk
    return args


def body(world, name: str) -> dict | None:
    today = timezone.localdate().isoformat()
    return {
        "create_service": {"client_id": world.client_a.pk, "product": world.service.product.code,
                           "name": "nuovo.example"},
        "cancel_service": {"channel": "provider"},
        "create_invoice": {"client_id": world.client_a.pk,
                           "lines": [{"description": "Consulenza", "unit_price": "80.00"}]},
        "issue_invoice": {"send": False},
        "credit_invoice": {"reason": "Errore di fatturazione", "amount": "10.00"},
        "record_payment": {"amount": "5.00", "received_on": today},
        "open_ticket": {"category": "hosting", "client_id": world.client_a.pk,
                        "service_id": world.service.pk,
                        "subject": "Il sito risponde con errore 500 dalle 10",
                        "body": "Da stamattina la home page dà errore 500."},
        "reply": {"body": "Grazie, ora funziona."},
        "add_note": {"body": "Controllato il log."},
        "assign": {"assignee_id": world.agent.pk},
        "close": None,
        "create_quote": {"client_id": world.client_a.pk, "title": "Nuovo sito",
                         "lines": [{"description": "Sviluppo", "unit_price": "900.00"}]},
        "usage": {"rows": [{"service": str(world.service.pk), "used_mb": 120}]},
    }.get(name)  # fmt: skip


def prepare(world, name: str) -> None:
    """The state an operation needs to succeed for the right token (rolled back after)."""
    if name == "unsuspend_service":
        Service.objects.filter(pk=world.service.pk).update(status=Service.Status.SUSPENDED)
    if name == "send_quote":
        Quote.objects.filter(pk=world.quote.pk).update(status=Quote.Status.DRAFT)


def call(client, method: str, template: str, world, name: str, token: str | None):
    path = template
    for key, value in arguments(world, name).items():
        path = path.replace("{" + key + "}", str(value))
    if name == "dry_run":
        path += f"?day={timezone.localdate().isoformat()}"
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    with transaction.atomic():
        prepare(world, name)
        if method == "get":
            response = client.get(path, **headers)
        elif name == "attach":
            upload = SimpleUploadedFile("screenshot.png", b"\x89PNG\r\n", "image/png")
            response = client.post(path, data={"body": "Ecco lo screenshot.", "files": upload},
                                   **headers)  # fmt: skip
        else:
            data = body(world, name)
            response = client.post(path, data=data if data is not None else {},
                                   content_type="application/json", **headers)  # fmt: skip
        transaction.set_rollback(True)
    check_response(method, template, response)
    return response


CASES = [(method, template, operation_name(op), op.get("x-scope")) for method, template, op in
         operations()]  # fmt: skip


def test_every_operation_names_its_scope():
    assert all(scope for _m, _t, _n, scope in CASES)
    assert {name for _m, _t, name, _s in CASES} >= STAFF_ONLY | PUBLIC


@pytest.mark.parametrize("method,template,name,scope", CASES,
                         ids=[f"{m.upper()} {t}" for m, t, _n, _s in CASES])  # fmt: skip
def test_operation_against_every_caller(client, world, method, template, name, scope):
    wrong = []
    admin = world.token(world.admin)

    def expect(label, token, allowed):
        response = call(client, method, template, world, name, token)
        if response.status_code not in allowed:
            wrong.append(f"{label}: {response.status_code} {response.content[:200]!r}")
        return response

    # No token: only the public knowledge base answers.
    expect("no token", None, {200} if name in PUBLIC else {401})
    # Expired and revoked tokens count as none.
    expired, raw_expired = actions.create_token(
        world.admin, name="old", scopes=[scope], now=timezone.now() - timedelta(days=2),
        expires_at=timezone.now() - timedelta(days=1),
    )  # fmt: skip
    expect("expired", raw_expired, {401})
    revoked, raw_revoked = actions.create_token(world.admin, name="gone", scopes=[scope],
                                                now=timezone.now())  # fmt: skip
    ApiToken.objects.filter(pk=revoked.pk).update(revoked_at=timezone.now())
    expect("revoked", raw_revoked, {401})
    # A token with every scope but this one.
    without = world.token(world.admin, scopes_=[s for s in scopes.ALL if s != scope])
    expect("without the scope", without, {403})
    # Client B's token on client A's objects.
    b = world.token(world.client_b.owner, client=world.client_b)
    if name in STAFF_ONLY:
        expect("client B", b, {403})
    elif name == "open_ticket":
        # Its own ticket, about A's service: refused (client_id is ignored for clients).
        expect("client B naming A's service", b, {422})
    elif "{" in template and name not in PUBLIC:
        expect("client B on A's object", b, {404})
    else:
        response = expect("client B's list", b, {200})
        if response.status_code == 200 and "items" in response.json():
            for item in response.json()["items"]:
                if item.get("client_id", world.client_b.pk) != world.client_b.pk or (
                    name == "list_clients" and item["id"] != world.client_b.pk
                ):
                    wrong.append(f"client B sees {item}")
    # The right tokens: client A's own (where clients may), staff.
    if name not in STAFF_ONLY:
        a = world.token(world.client_a.owner, client=world.client_a)
        expect("client A", a, {200, 201})
    expect("administrator", admin, {403} if name in CLIENT_ONLY else {200, 201})
    assert not wrong, "\n".join(wrong)
