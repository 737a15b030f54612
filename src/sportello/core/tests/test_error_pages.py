"""403, 404 and 500 answer with the site's own page, in the visitor's language, with the
navigation and a way back; an ordinary 403 leaves a log line without a traceback."""

import logging
import sys

import pytest
from django.core.exceptions import PermissionDenied
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.utils import translation
from django.views.defaults import permission_denied

from sportello.core.logs import ForbiddenWithoutTraceback
from sportello.testing import make_client

pytestmark = pytest.mark.django_db


def test_page_not_found_in_the_clients_language_with_the_navigation(client):
    owner = make_client(language="es").owner
    client.force_login(owner)
    response = client.get("/panel/no-such-page/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "Página no encontrada" in page
    assert 'class="mainnav"' in page and "/panel/" in page  # the site's menu and the way back
    assert "Volver a su panel" in page


def test_page_not_found_for_a_visitor_offers_the_login(client):
    response = client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="it")
    assert response.status_code == 404
    page = response.content.decode()
    assert "Pagina non trovata" in page and "/accounts/login/" in page


def test_forbidden_page_is_styled_and_translated():
    request = RequestFactory().get("/desk/")
    request.user = make_client(language="en").owner
    with translation.override("en"):
        response = permission_denied(request, PermissionDenied())
    assert response.status_code == 403
    assert "You cannot open this page" in response.content.decode()


@pytest.mark.parametrize("language,title", [("it", "Qualcosa è andato storto"),
                                            ("es", "Algo ha fallado")])  # fmt: skip
def test_server_error_page_renders_without_a_request(language, title):
    # Django's server_error renders 500.html with no request and no context processors.
    with translation.override(language):
        page = render_to_string("500.html")
    assert title in page and "500" in page


def test_an_ordinary_403_is_logged_without_its_traceback():
    try:
        raise PermissionDenied
    except PermissionDenied:
        exc_info = sys.exc_info()
    record = logging.LogRecord(
        "django.request", logging.WARNING, __file__, 1, "Forbidden (Permission denied): %s",
        ("/desk/",), exc_info,
    )  # fmt: skip
    record.status_code = 403
    assert ForbiddenWithoutTraceback().filter(record) is True
    assert record.exc_info is None
    error = logging.LogRecord("django.request", logging.ERROR, __file__, 1, "boom", (), exc_info)
    error.status_code = 500
    ForbiddenWithoutTraceback().filter(error)
    assert error.exc_info is exc_info  # a real error keeps its traceback
