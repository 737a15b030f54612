from sportello.provisioning.tests.conftest import powerdns, registry, whm  # noqa: F401
