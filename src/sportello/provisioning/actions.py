"""Provisioning operations: queue a module's operation for a service, run it once, record
what happened. An operation that fails stays in the desk with the module's error for staff
to retry; the manual module's operations wait there for staff to do them by hand."""

import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from sportello.accounts.models import Client, User
from sportello.mail.actions import queue_to_client
from sportello.services.models import Service
from sportello.services.signals import status_changed

from .models import Account, Operation, ProductModule, Server
from .modules.base import (
    Contact,
    DomainInfo,
    Module,
    ModuleError,
    Registrar,
    StaffAction,
    Target,
    Usage,
)
from .modules.registry import module_class
from .zone import RRSet, as_patch, rrsets_of

Action = Operation.Action
Status = Operation.Status

# What each new status of a service asks of its modules.
ACTION_FOR_STATUS: dict[str, str] = {
    Service.Status.SUSPENDED: Action.SUSPEND,
    Service.Status.ON_HOLD: Action.SUSPEND,
    Service.Status.EXPIRED: Action.SUSPEND,
    Service.Status.TERMINATED: Action.TERMINATE,
    Service.Status.CANCELLED: Action.TERMINATE,
    Service.Status.ACTIVE: Action.UNSUSPEND,
}
STATE_AFTER: dict[str, str] = {
    Action.CREATE: Account.State.ACTIVE,
    Action.SUSPEND: Account.State.SUSPENDED,
    Action.UNSUSPEND: Account.State.ACTIVE,
    Action.TERMINATE: Account.State.REMOVED,
}
# Tried this many times by the workers before it waits for staff.
MAX_ATTEMPTS = 5
# A run that started this long ago and never finished crashed: it is run again.
STALE_AFTER = timedelta(minutes=15)


def modules_of(service_ids: Iterable[int]) -> dict[int, list[ProductModule]]:
    """The active modules each service's product is provisioned by."""
    services = dict(Service.objects.filter(pk__in=list(service_ids)).values_list("pk", "product"))
    by_product: dict[int, list[ProductModule]] = {}
    for module in ProductModule.objects.filter(
        product__in=set(services.values()), server__active=True
    ).select_related("server"):
        by_product.setdefault(module.product_id, []).append(module)
    return {pk: by_product[product] for pk, product in services.items() if product in by_product}


Params = dict[int, dict[str, Any]]


def queue(
    service_ids: Iterable[int], action: str, key: str, params: Params | None = None
) -> tuple[list[int], set[int]]:
    """Operations for each module of these services (one per request, however often it is
    asked). Returns the operations to run and the services that have modules."""
    modules = modules_of(service_ids)
    params = params or {}
    Operation.objects.bulk_create(
        [
            Operation(
                service_id=pk,
                server=module.server,
                action=action,
                key=key,
                params=params.get(pk, {}),
            )  # fmt: skip
            for pk, found in modules.items()
            for module in found
        ],
        ignore_conflicts=True,
    )
    ids = list(
        Operation.objects.filter(
            service__in=list(modules), action=action, key=key, status=Status.QUEUED
        ).values_list("pk", flat=True)
    )
    return ids, set(modules)


def username_for(service: Service) -> str:
    """The account's name on a control panel: from the domain, unique by the service's id,
    the same on every attempt (so a retry finds the account an earlier one created). cPanel
    takes up to 16 lowercase letters and digits, starting with a letter."""
    letters = re.sub(r"[^a-z0-9]", "", service.name.lower().split(".")[0])[:8]
    if not letters or not letters[0].isalpha():
        letters = "sp" + letters[:6]
    return f"{letters}{service.pk:x}"[:16]


def contact_for(client: Client) -> Contact:
    return Contact(
        handle=f"SP{client.pk}",
        name=client.name,
        organisation=client.company_name if client.kind == Client.Kind.COMPANY else "",
        email=client.owner.email,
        phone=client.phone,
        street=client.address,
        city=client.city,
        postcode=client.postcode,
        province=client.province,
        country=client.country or "IT",
        reg_code=client.vat_number or client.fiscal_code,
    )


def target_for(service: Service, server: Server, params: dict[str, Any] | None = None) -> Target:
    params = params or {}
    package = (
        ProductModule.objects.filter(product=service.product_id, server=server)
        .values_list("package", flat=True)
        .first()
    )
    account = Account.objects.filter(service=service, server=server).first()
    return Target(
        service_id=service.pk,
        name=service.name,
        username=account.remote_id if account else username_for(service),
        package=params.get("package") or package or "",
        password=params.get("password") or secrets.token_urlsafe(16),
        years=max(1, service.cycle_months // 12),
        auth_code=params.get("auth_code", ""),
        contact=contact_for(service.client),
        options={
            **({"ip": str(service.ip_address)} if service.ip_address else {}),
            "suspend_reason": suspension_reason(service, server),
        },
    )


def suspension_reason(service: Service, server: Server) -> str:
    """Why the account is suspended, as the control panel shows it to its owner: the
    server's own text where set (`options["suspend_reason"]`), otherwise the reason in the
    client's language."""
    configured = str((server.options or {}).get("suspend_reason") or "").strip()
    if configured:
        return configured[:200]
    with translation.override(service.client.language or "it"):
        if service.over_quota:
            return _("Suspended: the site uses more disk space than its plan allows.")
        return _("Suspended: the renewal of this service is unpaid.")


def claim(operation_id: int, now: datetime) -> Operation | None:
    """Take the operation for this worker: queued, failed, or started long ago by a run that
    crashed. None if another worker has it or it is finished."""
    runnable = Q(status__in=[Status.QUEUED, Status.FAILED]) | Q(
        status=Status.RUNNING, started_at__lt=now - STALE_AFTER
    )
    taken = Operation.objects.filter(runnable, pk=operation_id).update(
        status=Status.RUNNING, started_at=now, attempts=F("attempts") + 1
    )
    if not taken:
        return None
    return Operation.objects.select_related("service__client__owner", "server").get(pk=operation_id)


def run(operation_id: int, now: datetime) -> Operation | None:
    """Run one operation against its server, outside any transaction (the remote call may be
    slow); record the outcome in one."""
    operation = claim(operation_id, now)
    if operation is None:
        return None
    service = operation.service
    target = target_for(service, operation.server, operation.params)
    secret = ""
    try:
        module = operation.server.connect()
        secret = _perform(module, operation, target)
    except StaffAction:
        operation.status, operation.error = Status.STAFF, ""
    except (ModuleError, LookupError, OSError) as error:
        operation.status, operation.error = Status.FAILED, str(error)[:2000]
    else:
        operation.status, operation.error = Status.DONE, ""
    with transaction.atomic():
        operation.finished_at = timezone.now()
        operation.params = {k: v for k, v in operation.params.items() if k != "password"}
        operation.save(update_fields=["status", "error", "finished_at", "params"])
        if operation.status == Status.DONE:
            _record_account(operation, target.username)
            _after_done(operation, timezone.localdate(now))
            if operation.action == Action.AUTH_CODE:
                # To the client's registered address only, never on a page.
                queue_to_client(service.client, "domain_auth_code",
                                {"domain": service.name, "auth_code": secret})  # fmt: skip
    return operation


def _perform(module: Module, operation: Operation, target: Target) -> str:
    """The module's call for the operation; returns what it read and must not be kept (a
    domain's auth code, to be mailed)."""
    action, params = operation.action, operation.params
    if action == Action.CREATE:
        target.username = module.create(target)
    elif action in (Action.NAMESERVERS, Action.LOCK, Action.AUTH_CODE):
        if not isinstance(module, Registrar):
            raise ModuleError(f"{operation.server}: not a registrar")
        if action == Action.NAMESERVERS:
            module.set_nameservers(target, [str(ns) for ns in params["nameservers"]])
        elif action == Action.LOCK:
            module.set_lock(target, bool(params["locked"]))
        else:
            info = module.info(target.name)
            if info is None or not info.ours or not info.auth_code:
                raise ModuleError(f"{operation.server}: no auth code for {target.name}")
            return info.auth_code
    elif action == Action.ZONE:
        module.replace_records(target.name, list(params["rrsets"]))
    elif action == Action.SSO:
        module.sso_url(target)
    else:
        getattr(module, action)(target)
    return ""


def _record_account(operation: Operation, remote_id: str) -> None:
    state = STATE_AFTER.get(operation.action)
    if state is None:
        return
    Account.objects.update_or_create(
        service=operation.service, server=operation.server,
        defaults={"remote_id": remote_id, "state": state},
    )  # fmt: skip


def _after_done(operation: Operation, day: date) -> None:
    """A service being activated becomes active when every one of its modules has created it."""
    if operation.action != Action.CREATE:
        return
    service = operation.service
    open_creates = Operation.objects.filter(service=service, action=Action.CREATE).exclude(
        status=Status.DONE
    )
    if open_creates.exists():
        return
    make_active([service.pk], day)


def make_active(service_ids: list[int], day: date) -> list[int]:
    """Services being activated that are now active."""
    activated = list(
        Service.objects.filter(pk__in=service_ids, status=Service.Status.PENDING).values_list(
            "pk", flat=True
        )
    )
    if activated:
        Service.objects.filter(pk__in=activated).update(status=Service.Status.ACTIVE)
        status_changed.send(
            sender=Service, service_ids=activated, status=Service.Status.ACTIVE, day=day
        )
    return activated


@transaction.atomic
def mark_done(operation: Operation, actor: User, now: datetime) -> None:
    """Staff did it by hand (the manual module, or after a failure they fixed on the server)."""
    operation = Operation.objects.select_for_update().select_related("service").get(pk=operation.pk)
    if operation.status == Status.DONE:
        return
    operation.status, operation.done_by, operation.finished_at = Status.DONE, actor, now
    operation.save(update_fields=["status", "done_by", "finished_at"])
    _record_account(operation, username_for(operation.service))
    _after_done(operation, timezone.localdate(now))


def reset_for_retry(operation: Operation) -> bool:
    return bool(
        Operation.objects.filter(pk=operation.pk, status__in=[Status.FAILED, Status.STAFF]).update(
            status=Status.QUEUED, attempts=0
        )
    )


def due_operations(now: datetime) -> list[int]:
    """What the workers should run now: queued, failed with attempts left, or stale."""
    return list(
        Operation.objects.filter(
            Q(status=Status.QUEUED)
            | Q(status=Status.FAILED, attempts__lt=MAX_ATTEMPTS)
            | Q(status=Status.RUNNING, started_at__lt=now - STALE_AFTER)
        )
        .order_by("created_at", "id")
        .values_list("pk", flat=True)
    )


# --- what the modules know, for the client's pages ---------------------------------------


def _modules_for(service: Service) -> list[tuple[Server, Target]]:
    found = []
    for module in modules_of([service.pk]).get(service.pk, []):
        found.append((module.server, target_for(service, module.server)))
    return found


def has_account(service: Service, server: Server) -> bool:
    return Account.objects.filter(
        service=service, server=server, state__in=[Account.State.ACTIVE, Account.State.SUSPENDED]
    ).exists()


def sso_url(service: Service) -> str:
    """A one-time sign-in link to the service's control panel ("" without one)."""
    for server, target in _modules_for(service):
        if has_account(service, server):
            url = server.connect().sso_url(target)
            if url:
                return url
    return ""


def usage(service: Service) -> Usage | None:
    for server, target in _modules_for(service):
        if has_account(service, server):
            found = server.connect().usage(target)
            if found is not None:
                return found
    return None


def registrar_of(service: Service) -> tuple[Registrar, Target] | None:
    for server, target in _modules_for(service):
        module = server.connect()
        if isinstance(module, Registrar):
            return module, target
    return None


def domain_info(service: Service) -> DomainInfo | None:
    found = registrar_of(service)
    return found[0].info(service.name) if found else None


def set_nameservers(service: Service, nameservers: list[str]) -> None:
    found = registrar_of(service)
    if found is None:
        raise ModuleError("no registrar")
    found[0].set_nameservers(found[1], nameservers)


# --- the client's requests from the service page -----------------------------------------

# A client may ask for the auth code this often (it is mailed each time).
AUTH_CODE_EVERY = timedelta(hours=1)


@dataclass
class Panel:
    """What the service page offers, from the modules that hold the service (no remote
    call): the registrar's domain, the control panel's account, the DNS zone."""

    service: Service
    registrar: Server | None = None
    control_panel: Server | None = None
    dns_zone: Server | None = None

    @property
    def shown(self) -> bool:
        return any((self.registrar, self.control_panel, self.dns_zone))

    @property
    def editable(self) -> bool:
        """Changes are asked only of a service in use (not suspended, not ended)."""
        return self.service.status == Service.Status.ACTIVE


def panel_of(service: Service) -> Panel:
    panel = Panel(service)
    held = set(
        Account.objects.filter(
            service=service, state__in=[Account.State.ACTIVE, Account.State.SUSPENDED]
        ).values_list("server", flat=True)
    )
    for module in modules_of([service.pk]).get(service.pk, []):
        cls = module_class(module.server.module)
        if cls is None or module.server_id not in held:
            continue
        if cls.registrar and panel.registrar is None:
            panel.registrar = module.server
        if cls.control_panel and panel.control_panel is None:
            panel.control_panel = module.server
        if cls.dns_zone and panel.dns_zone is None:
            panel.dns_zone = module.server
    return panel


@dataclass
class LiveState:
    """What the servers say now; a server that does not answer leaves its part empty and
    says so."""

    usage: Usage | None = None
    domain: DomainInfo | None = None
    unreachable: bool = False


def live_state(panel: Panel) -> LiveState:
    state = LiveState()
    service = panel.service
    try:
        if panel.control_panel is not None:
            state.usage = panel.control_panel.connect().usage(
                target_for(service, panel.control_panel)
            )
        if panel.registrar is not None:
            registrar = panel.registrar.connect()
            assert isinstance(registrar, Registrar)
            state.domain = registrar.info(service.name)
    except (ModuleError, LookupError, OSError):
        state.unreachable = True
    return state


def _ask(panel: Panel, server: Server | None, action: str, params: dict[str, Any],
         actor: User, now: datetime) -> Operation:  # fmt: skip
    """A client's request: one operation on the server that holds it, run by the workers
    (the row is the audit: who asked, what, when, and how it went)."""
    if server is None:
        raise ValidationError(_("This service does not offer that."))
    if not panel.editable:
        raise ValidationError(_("Changes can be asked only while the service is active."))
    return Operation.objects.create(
        service=panel.service, server=server, action=action, params=params, asked_by=actor,
        key=f"client:{now:%Y%m%d%H%M%S}:{secrets.token_hex(4)}",
    )  # fmt: skip


def ask_nameservers(panel: Panel, nameservers: list[str], actor: User,
                    now: datetime) -> Operation:  # fmt: skip
    return _ask(panel, panel.registrar, Action.NAMESERVERS, {"nameservers": nameservers},
                actor, now)  # fmt: skip


def ask_lock(panel: Panel, locked: bool, actor: User, now: datetime) -> Operation:
    return _ask(panel, panel.registrar, Action.LOCK, {"locked": locked}, actor, now)


def ask_auth_code(panel: Panel, actor: User, now: datetime) -> Operation:
    """The domain's auth code, mailed to the client's registered address."""
    recent = Operation.objects.filter(
        service=panel.service, action=Action.AUTH_CODE, created_at__gte=now - AUTH_CODE_EVERY
    ).exclude(status=Status.FAILED)
    if recent.exists():
        raise ValidationError(
            _("The auth code is on its way to your registered address: check your mail.")
        )
    return _ask(panel, panel.registrar, Action.AUTH_CODE, {}, actor, now)


def zone_records(panel: Panel) -> list[RRSet] | None:
    """The service's DNS zone as the server holds it (None without a zone)."""
    if panel.dns_zone is None:
        return None
    found = panel.dns_zone.connect().records(panel.service.name)
    return rrsets_of(found) if found is not None else None


def ask_zone_change(panel: Panel, rrsets: list[RRSet], actor: User, now: datetime) -> Operation:
    """Record sets checked by `zone.clean_rrset` (or emptied, to delete them)."""
    return _ask(panel, panel.dns_zone, Action.ZONE,
                {"rrsets": [as_patch(rrset) for rrset in rrsets]}, actor, now)  # fmt: skip


def control_panel_link(panel: Panel, actor: User, now: datetime) -> str:
    """A one-time sign-in link to the control panel, asked now (it expires in minutes);
    the sign-in is kept as a done operation."""
    server = panel.control_panel
    if server is None or not panel.editable:
        raise ValidationError(_("This service does not offer that."))
    url = server.connect().sso_url(target_for(panel.service, server))
    if not url:
        raise ModuleError(f"{server}: no sign-in link")
    Operation.objects.create(
        service=panel.service, server=server, action=Action.SSO, status=Status.DONE,
        key=f"client:{now:%Y%m%d%H%M%S}:{secrets.token_hex(4)}", asked_by=actor,
        attempts=1, started_at=now, finished_at=now,
    )  # fmt: skip
    return url


def pending_requests(service: Service) -> list[Operation]:
    """The client's requests not yet done, for the service page."""
    return list(
        Operation.objects.filter(
            service=service,
            action__in=[Action.NAMESERVERS, Action.LOCK, Action.AUTH_CODE, Action.ZONE],
            status__in=[Status.QUEUED, Status.RUNNING, Status.FAILED, Status.STAFF],
        ).order_by("created_at", "id")
    )


# --- domains for sale ---------------------------------------------------------------------


def extension_of(name: str) -> str:
    return name.lower().rstrip(".").split(".", 1)[1] if "." in name else ""


def registrar_products() -> dict[str, ProductModule]:
    """The extensions on sale, each with its product and registrar."""
    return {
        module.package.lower().lstrip("."): module
        for module in ProductModule.objects.filter(
            server__active=True, product__active=True
        ).select_related("server", "product")
        if module.package and isinstance(module.server.connect(), Registrar)
    }


def check_domains(names: list[str]) -> dict[str, bool]:
    """Which names are free, asked of each extension's registrar (one session each)."""
    products = registrar_products()
    by_server: dict[int, tuple[Server, list[str]]] = {}
    for name in names:
        module = products.get(extension_of(name))
        if module is not None:
            by_server.setdefault(module.server_id, (module.server, []))[1].append(name)
    free: dict[str, bool] = {}
    for server, asked in by_server.values():
        registrar = server.connect()
        assert isinstance(registrar, Registrar)
        free.update(registrar.check(asked))
    return free


def registry_info(name: str) -> DomainInfo | None:
    """What the registry of the name's extension says of it, whoever holds it (None where
    the extension is not on sale or the domain is not registered)."""
    module = registrar_products().get(extension_of(name))
    if module is None:
        return None
    registrar = module.server.connect()
    assert isinstance(registrar, Registrar)
    return registrar.info(name)


def sync_expiry(service: Service) -> tuple[date, date] | None:
    """The registry's expiry of a domain replaces the local one when they differ: (local,
    registry) when it changed, None otherwise."""
    info = domain_info(service)
    if info is None or info.expires_on is None or info.expires_on == service.expires_on:
        return None
    before = service.expires_on
    Service.objects.filter(pk=service.pk).update(expires_on=info.expires_on)
    return before, info.expires_on
