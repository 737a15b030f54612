"""PowerDNS Authoritative through its HTTP API (`/api/v1/servers/localhost/zones`), with the
`X-API-Key` header. A zone per domain: created with the provider's nameservers and the
hosting's records, left in place while the service is suspended (mail and web stop at the
server, the domain keeps resolving), deleted when the service ends."""

from typing import Any

import httpx

from .base import Module, ModuleError, Target

TIMEOUT = 15.0


def fqdn(name: str) -> str:
    return name.rstrip(".").lower() + "."


class PowerDnsModule(Module):
    name = "powerdns"
    label = "PowerDNS Authoritative (HTTP API)"
    dns_zone = True

    @property
    def _zones(self) -> str:
        server = self.options.get("server_id", "localhost")
        return f"{self.url}/api/v1/servers/{server}/zones"

    def _request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        try:
            return httpx.request(
                method, url, headers={"X-API-Key": self.secret}, timeout=TIMEOUT, **kwargs
            )
        except httpx.HTTPError as error:
            raise ModuleError(f"PowerDNS: {error}") from error

    @staticmethod
    def _fail(response: httpx.Response) -> ModuleError:
        try:
            reason = response.json().get("error", "")
        except ValueError:
            reason = response.text[:200]
        return ModuleError(f"PowerDNS: HTTP {response.status_code} {reason}".strip())

    def records_for(self, target: Target) -> list[dict[str, Any]]:
        """The zone's first records: the hosting's address for the domain and www, its
        mail exchanger."""
        zone = fqdn(target.name)
        ttl = int(self.options.get("ttl", 3600))
        address = target.options.get("ip") or self.options.get("default_ip")
        rrsets = []
        if address:
            rrsets.append(
                {
                    "name": zone,
                    "type": "A",
                    "ttl": ttl,
                    "records": [{"content": address, "disabled": False}],
                }
            )
            rrsets.append(
                {
                    "name": "www." + zone,
                    "type": "A",
                    "ttl": ttl,
                    "records": [{"content": address, "disabled": False}],
                }
            )
            rrsets.append(
                {
                    "name": zone,
                    "type": "MX",
                    "ttl": ttl,
                    "records": [{"content": f"10 mail.{zone}", "disabled": False}],
                }
            )
            rrsets.append(
                {
                    "name": "mail." + zone,
                    "type": "A",
                    "ttl": ttl,
                    "records": [{"content": address, "disabled": False}],
                }
            )
        return rrsets

    def zone(self, name: str) -> dict[str, Any] | None:
        response = self._request("GET", f"{self._zones}/{fqdn(name)}")
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise self._fail(response)
        found: dict[str, Any] = response.json()
        return found

    def records(self, name: str) -> dict[str, Any] | None:
        return self.zone(name)

    def create(self, target: Target) -> str:
        zone = fqdn(target.name)
        nameservers = [fqdn(ns) for ns in self.options.get("nameservers", [])]
        response = self._request(
            "POST",
            self._zones,
            json={
                "name": zone,
                "kind": "Native",
                "nameservers": nameservers,
                "rrsets": self.records_for(target),
            },
        )
        # 409: the zone exists already (an earlier attempt): adopt it.
        if response.status_code not in (201, 409):
            raise self._fail(response)
        return zone

    def suspend(self, target: Target) -> None:
        if self.zone(target.name) is None:
            raise ModuleError(f"PowerDNS: no zone {fqdn(target.name)}")

    def unsuspend(self, target: Target) -> None:
        self.suspend(target)

    def terminate(self, target: Target) -> None:
        response = self._request("DELETE", f"{self._zones}/{fqdn(target.name)}")
        if response.status_code not in (204, 404, 422):
            raise self._fail(response)

    def change_package(self, target: Target) -> None:
        """The zone does not depend on the plan."""

    def replace_records(self, name: str, rrsets: list[dict[str, Any]]) -> None:
        """The zone editor's change: each rrset given replaces the one of its name and type
        (`changetype` REPLACE, or DELETE with no records)."""
        rrsets = [
            {**rrset, "changetype": "REPLACE" if rrset.get("records") else "DELETE"}
            for rrset in rrsets
        ]
        response = self._request("PATCH", f"{self._zones}/{fqdn(name)}", json={"rrsets": rrsets})
        if response.status_code != 204:
            raise self._fail(response)
