import pytest

from sportello.mail import authentication

from .mailmaker import FakeDns


@pytest.fixture
def dns(monkeypatch):
    fake = FakeDns()
    fake.publish("example.org")
    monkeypatch.setattr(authentication, "txt_lookup", fake)
    return fake
