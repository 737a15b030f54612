import pytest

from sportello import testing
from sportello.catalog.models import Product, ProductType
from sportello.provisioning.models import ProductModule, Server
from sportello.provisioning.tests.conftest import powerdns, registry, whm  # noqa: F401


@pytest.fixture
def shop(whm, registry, powerdns):  # noqa: F811  (the fixtures imported above)
    hosting = testing.make_product("hosting-pro", ProductType.HOSTING, "120.00")
    domain = testing.make_product("domain-it", ProductType.DOMAIN, "12.90")
    testing.make_product("domain-com", ProductType.DOMAIN, "14.90")
    panel = Server.objects.create(name="whm1", module="cpanel", url=whm.url, username="root",
                                  secret=whm.token)  # fmt: skip
    dns = Server.objects.create(
        name="dns", module="powerdns", url=powerdns.url, secret=powerdns.api_key,
        options={"nameservers": ["ns1.sportello.example"], "default_ip": "192.0.2.20"},
    )  # fmt: skip
    epp = Server.objects.create(
        name="registry", module="epp", url=registry.url, username=registry.client_id,
        secret=registry.password, options={"cafile": str(registry.cafile)},
    )  # fmt: skip
    ProductModule.objects.create(product=hosting, server=panel, package="pro")
    ProductModule.objects.create(product=hosting, server=dns)
    ProductModule.objects.create(product=domain, server=epp, package="it")
    ProductModule.objects.create(product=Product.objects.get(code="domain-com"), server=epp,
                                 package="com")  # fmt: skip
    return {"hosting": hosting, "domain": domain, "whm": whm, "registry": registry,
            "dns": dns}  # fmt: skip
