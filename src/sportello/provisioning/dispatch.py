"""Provisioning as the other apps ask for it: operations queued in the caller's transaction
and run by the workers once it commits (never a remote call inside a transaction)."""

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from django.db import transaction

from sportello.accounts.models import User
from sportello.services.models import Service

from . import actions
from .models import Operation
from .tasks import run_operations


def _run_after_commit(operation_ids: list[int]) -> None:
    if operation_ids:
        transaction.on_commit(lambda: run_operations(operation_ids))


def provision_status_change(service_ids: list[int], status: str, day: date) -> set[int]:
    """The services hook (`services.provisioning.register_provisioner`): the modules of these
    services act on their new status; returns the services that have modules."""
    action = actions.ACTION_FOR_STATUS.get(status)
    if action is None:
        return set()
    ids, handled = actions.queue(service_ids, action, f"{status}:{day.isoformat()}")
    _run_after_commit(ids)
    return handled


def activate(services: Iterable[Service], day: date,
             params: dict[int, dict[str, Any]] | None = None) -> None:  # fmt: skip
    """Paid (or accepted) services being activated: each module creates its part, and the
    service becomes active when all have; a service without modules is active at once."""
    pks = [service.pk for service in services]
    ids, handled = actions.queue(pks, Operation.Action.CREATE, "activation", params)
    actions.make_active([pk for pk in pks if pk not in handled], day)
    _run_after_commit(ids)


def change_package(service: Service, package: str, key: str) -> None:
    ids, _handled = actions.queue([service.pk], Operation.Action.CHANGE_PACKAGE, key,
                                  {service.pk: {"package": package}})  # fmt: skip
    _run_after_commit(ids)


def change_plan(service: Service, key: str) -> None:
    """The service is on another plan now: each module takes the new plan's package (its
    `ProductModule` on that server)."""
    ids, _handled = actions.queue([service.pk], Operation.Action.CHANGE_PACKAGE, key)
    _run_after_commit(ids)


def run_soon(operation: Operation) -> None:
    """A request queued in this transaction (the client's, from the service page)."""
    _run_after_commit([operation.pk])


def retry(operation: Operation) -> None:
    if actions.reset_for_retry(operation):
        _run_after_commit([operation.pk])


def mark_done(operation: Operation, actor: User, now: datetime) -> None:
    actions.mark_done(operation, actor, now)
