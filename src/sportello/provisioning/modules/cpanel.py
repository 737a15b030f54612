"""cPanel/WHM through WHM API 1 (`/json-api/<function>?api.version=1`), authenticated with
an API token (`Authorization: whm <user>:<token>`). Every answer carries
`metadata.result` (1 done, 0 refused, with `metadata.reason`)."""

import re
from typing import Any

import httpx

from .base import Module, ModuleError, Target, Usage

TIMEOUT = 30.0


def _megabytes(value: Any) -> int | None:
    """WHM writes sizes as "14M", "1.5G" or "unlimited"."""
    match = re.fullmatch(r"\s*([\d.]+)\s*([KMGT]?)B?\s*", str(value or ""), re.IGNORECASE)
    if not match:
        return None
    scale = {"": 1, "K": 1 / 1024, "M": 1, "G": 1024, "T": 1024 * 1024}[match[2].upper()]
    return int(float(match[1]) * scale)


class CpanelModule(Module):
    name = "cpanel"
    label = "cPanel/WHM (WHM API 1)"
    control_panel = True

    def _call(self, function: str, **params: Any) -> dict[str, Any]:
        verify: Any = self.options.get("cafile") or self.options.get("verify", True)
        try:
            response = httpx.get(
                f"{self.url}/json-api/{function}",
                params={"api.version": 1, **params},
                headers={"Authorization": f"whm {self.username}:{self.secret}"},
                timeout=TIMEOUT,
                verify=verify,
            )
        except httpx.HTTPError as error:
            raise ModuleError(f"WHM {function}: {error}") from error
        if response.status_code != 200:
            raise ModuleError(f"WHM {function}: HTTP {response.status_code}")
        try:
            answer: dict[str, Any] = response.json()
            metadata = answer["metadata"]
        except (ValueError, KeyError) as error:
            raise ModuleError(f"WHM {function}: not a WHM API 1 answer") from error
        if metadata.get("result") != 1:
            raise ModuleError(f"WHM {function}: {metadata.get('reason') or 'refused'}")
        data: dict[str, Any] = answer.get("data") or {}
        return data

    def _account(self, username: str) -> dict[str, Any] | None:
        found = self._call("listaccts", search=username, searchtype="user", want="user,suspended")
        for account in found.get("acct") or []:
            if account.get("user") == username:
                return dict(account)
        return None

    def create(self, target: Target) -> str:
        if self._account(target.username) is None:
            self._call(
                "createacct",
                username=target.username,
                domain=target.name,
                plan=target.package,
                password=target.password,
                contactemail=target.contact.email if target.contact else "",
            )
        return target.username

    def suspend(self, target: Target) -> None:
        account = self._account(target.username)
        if account is None:
            raise ModuleError(f"WHM: no account {target.username}")
        if not account.get("suspended"):
            reason = target.options.get("suspend_reason") or "Unpaid or over quota"
            self._call("suspendacct", user=target.username, reason=reason)

    def unsuspend(self, target: Target) -> None:
        account = self._account(target.username)
        if account is None:
            raise ModuleError(f"WHM: no account {target.username}")
        if account.get("suspended"):
            self._call("unsuspendacct", user=target.username)

    def terminate(self, target: Target) -> None:
        if self._account(target.username) is not None:
            self._call("removeacct", username=target.username)

    def change_package(self, target: Target) -> None:
        self._call("changepackage", user=target.username, pkg=target.package)

    def change_password(self, target: Target) -> None:
        self._call("passwd", user=target.username, password=target.password)

    def sso_url(self, target: Target) -> str:
        data = self._call("create_user_session", user=target.username, service="cpaneld")
        return str(data.get("url", ""))

    def usage(self, target: Target) -> Usage | None:
        summary = self._call("accountsummary", user=target.username).get("acct") or [{}]
        bandwidth = self._call("showbw", searchtype="user", search=target.username)
        used = None
        for account in bandwidth.get("acct") or []:
            if account.get("user") == target.username:
                used = int(account.get("totalbytes", 0)) // (1024 * 1024)
        return Usage(
            disk_used_mb=_megabytes(summary[0].get("diskused")),
            disk_limit_mb=_megabytes(summary[0].get("disklimit")),
            bandwidth_used_mb=used,
        )
