import pytest

from .standins import EppRegistry, PowerDns, Whm, pdns_available


@pytest.fixture
def whm():
    standin = Whm()
    yield standin
    standin.close()


@pytest.fixture
def registry(tmp_path):
    standin = EppRegistry(tmp_path)
    yield standin
    standin.close()


@pytest.fixture(scope="session")
def powerdns(tmp_path_factory):
    if not pdns_available():
        pytest.skip(
            "pdns-server and pdns-backend-sqlite3 are not installed (scripts/test installs them)"
        )
    server = PowerDns(tmp_path_factory.mktemp("pdns"))
    yield server
    server.close()
