"""What a change of a service's status asks of the servers. Where an app above registered a
provisioner (`register_provisioner`, at start-up) that takes care of a service through a
module, the module does it; the rest open tasks here, staff close them in the desk."""

from collections.abc import Callable
from datetime import date

from .models import ProvisioningTask, Service
from .signals import status_changed

# The task each blocked or ended status asks for.
TASK_FOR_STATUS: dict[str, str] = {
    Service.Status.SUSPENDED: ProvisioningTask.Action.SUSPEND,
    Service.Status.ON_HOLD: ProvisioningTask.Action.SUSPEND,
    Service.Status.EXPIRED: ProvisioningTask.Action.SUSPEND,
    Service.Status.TERMINATED: ProvisioningTask.Action.REMOVE,
    Service.Status.CANCELLED: ProvisioningTask.Action.REMOVE,
    Service.Status.ACTIVE: ProvisioningTask.Action.RESTORE,
}

# fn(service_ids, status, day) -> the ids it took care of (the others get a staff task).
Provisioner = Callable[[list[int], str, date], set[int]]
_provisioners: list[Provisioner] = []


def register_provisioner(provisioner: Provisioner) -> None:
    if provisioner not in _provisioners:
        _provisioners.append(provisioner)


def ask_staff(service_ids: list[int], status: str, day: date) -> None:
    """Services whose status just changed to `status`: a registered provisioner's module
    acts on those it knows; the others get the task the status asks for (once a day per
    service, however often the job runs)."""
    handled: set[int] = set()
    for provisioner in _provisioners:
        handled |= provisioner(service_ids, status, day) if service_ids else set()
    action = TASK_FOR_STATUS[status]
    ProvisioningTask.objects.bulk_create(
        [
            ProvisioningTask(service_id=pk, action=action, day=day)
            for pk in service_ids
            if pk not in handled
        ],
        ignore_conflicts=True,
    )
    status_changed.send(sender=Service, service_ids=service_ids, status=status, day=day)
