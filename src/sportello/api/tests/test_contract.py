"""Schemathesis against the live OpenAPI document: generated requests to every operation,
with a token holding every scope, find no server error, no undocumented status or content
type, and no response that violates the document."""

import pytest
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.openapi import from_wsgi
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

pytestmark = pytest.mark.django_db
CHECKS = [
    not_a_server_error, status_code_conformance, content_type_conformance,
    response_schema_conformance, response_headers_conformance,
]  # fmt: skip
EXAMPLES = 20


@pytest.fixture
def keep_connection():
    """As Django's test client does: the WSGI handler would close the test's connection
    at the end of each request."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.parametrize("holder", ["administrator", "client"])
def test_generated_requests_match_the_document(world, keep_connection, holder):
    schema = from_wsgi("/api/v1/openapi.json", get_wsgi_application())
    if holder == "client":
        raw = world.token(world.client_a.owner, client=world.client_a)
    else:
        raw = world.token(world.admin)
    headers = {"Authorization": f"Bearer {raw}"}
    failures, calls = [], []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 20
    for operation in operations:

        @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))  # fmt: skip
        @given(case=operation.as_strategy())
        def run(case):
            with transaction.atomic():
                response = case.call(headers=headers)
                transaction.set_rollback(True)
            calls.append(response.status_code)
            case.validate_response(response, checks=CHECKS)

        try:
            run()
        except (Exception, BaseExceptionGroup) as error:  # noqa: BLE001 (all are reported)
            failures.append(f"{operation.label}: {error!s:.1500}")
    assert not failures, "\n\n".join(failures)
    assert len(calls) > 10 * len(operations) and 200 in calls
