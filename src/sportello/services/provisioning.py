"""What a change of a service's status asks of staff on the servers, until a provisioning
module does it: the daily jobs and payments open tasks here, staff close them in the desk."""

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


def ask_staff(service_ids: list[int], status: str, day: date) -> None:
    """Services whose status just changed to `status`: open the task it asks for (once a
    day per service, however often the job runs)."""
    action = TASK_FOR_STATUS[status]
    ProvisioningTask.objects.bulk_create(
        [ProvisioningTask(service_id=pk, action=action, day=day) for pk in service_ids],
        ignore_conflicts=True,
    )
    status_changed.send(sender=Service, service_ids=service_ids, status=status, day=day)
