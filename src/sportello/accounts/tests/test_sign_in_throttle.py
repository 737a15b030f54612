"""Wrong passwords slow the address that sends them; the owner is never locked out."""

import pytest
import time_machine
from django.contrib.auth import SESSION_KEY
from django.test import RequestFactory
from django.urls import reverse

from sportello.accounts import throttle
from sportello.core.models import AuditEvent
from sportello.core.net import client_ip
from sportello.testing import PASSWORD

pytestmark = pytest.mark.django_db


def sign_in(client, email, password, ip, **headers):
    client.logout()
    response = client.post(
        reverse("account_login"), {"login": email, "password": password}, REMOTE_ADDR=ip, **headers
    )
    return response, client.session.get(SESSION_KEY)


def test_wrong_passwords_from_one_address_do_not_lock_the_owner_out_elsewhere(client, owner):
    email = owner.contact_email
    for _ in range(10):
        sign_in(client, email, "wrong-password", "203.0.113.9")
    response, user = sign_in(client, email, PASSWORD, "203.0.113.9")
    assert user is None  # the guessing address waits, even with the right password
    assert "try again in" in response.content.decode() or "riprova tra" in (
        response.content.decode()
    )
    _response, user = sign_in(client, email, PASSWORD, "198.51.100.20")
    assert user == str(owner.owner.pk)


def test_the_wait_grows_with_each_failure_and_has_a_ceiling():
    waits = [throttle.pair_wait(n) for n in range(1, 20)]
    assert waits[: throttle.FREE_FAILURES - 1] == [0] * (throttle.FREE_FAILURES - 1)
    assert waits == sorted(waits)
    assert max(waits) == throttle.LONGEST_WAIT


def test_after_the_wait_the_same_address_may_try_again(client, owner):
    email = owner.contact_email
    with time_machine.travel("2026-12-07 10:00:00Z", tick=False) as clock:
        for _ in range(5):
            sign_in(client, email, "wrong-password", "203.0.113.9")
        assert throttle.seconds_to_wait(email, "203.0.113.9") > 0
        clock.shift(throttle.pair_wait(5) + 1)
        _response, user = sign_in(client, email, PASSWORD, "203.0.113.9")
    assert user == str(owner.owner.pk)


def test_many_addresses_guessing_one_account_meet_a_short_wait_not_a_lock(client, owner):
    email = owner.contact_email
    with time_machine.travel("2026-12-07 10:00:00Z", tick=False) as clock:
        sign_in(client, email, PASSWORD, "198.51.100.7")  # the owner's usual address
        for n in range(throttle.ACCOUNT_CEILING):
            sign_in(client, email, "wrong-password", f"203.0.113.{n + 1}")
        # A new address waits a little, the owner's known address does not.
        _response, user = sign_in(client, email, PASSWORD, "192.0.2.50")
        assert user is None
        _response, user = sign_in(client, email, PASSWORD, "198.51.100.7")
        assert user == str(owner.owner.pk)
        clock.shift(throttle.ACCOUNT_WAIT + 1)
        _response, user = sign_in(client, email, PASSWORD, "192.0.2.50")
        assert user == str(owner.owner.pk)


@pytest.mark.parametrize(
    "trusted, remote, forwarded, expected",
    [
        ([], "10.0.0.2", "203.0.113.5", "10.0.0.2"),  # no proxy listed: the header is ignored
        (["10.0.0.2"], "10.0.0.2", "203.0.113.5", "203.0.113.5"),
        (["10.0.0.0/8"], "10.0.0.2", "6.6.6.6, 203.0.113.5, 10.0.0.9", "203.0.113.5"),
        (["10.0.0.2"], "192.0.2.1", "203.0.113.5", "192.0.2.1"),  # not from our proxy
        (["10.0.0.2"], "10.0.0.2", "not-an-address", "10.0.0.2"),
        (["10.0.0.2"], "10.0.0.2", "", "10.0.0.2"),
        (["::1"], "::1", "2001:db8::7", "2001:db8::7"),
    ],
)
def test_forwarded_for_is_believed_only_from_listed_proxies(
    settings, trusted, remote, forwarded, expected
):
    settings.TRUSTED_PROXIES = trusted
    request = RequestFactory().get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


def test_behind_a_trusted_proxy_the_audit_log_and_the_throttle_see_the_client(
    client, owner, settings
):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    email = owner.contact_email
    for _ in range(6):
        sign_in(client, email, "wrong", "127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9")
    failed = AuditEvent.objects.filter(action="login_failed").values_list("ip_address", flat=True)
    assert set(failed) == {"203.0.113.9"}
    # Another client behind the same proxy is not slowed by the first one's guesses.
    _response, user = sign_in(
        client, email, PASSWORD, "127.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.4"
    )
    assert user == str(owner.owner.pk)
