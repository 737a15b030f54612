from django.shortcuts import render
from django.utils import timezone

from sportello.core.access import ADMIN, staff_required


@staff_required(ADMIN)
def job_runs(request):
    """What the scheduled jobs did, and what they would do tomorrow (a dry run, unrecorded)."""
    from datetime import timedelta

    from sportello.automation import registry
    from sportello.automation.models import JobRun

    tomorrow = timezone.localdate() + timedelta(days=1)
    preview = registry.run_day(registry.run_time(tomorrow), dry_run=True, record=False)
    return render(
        request,
        "automation/desk/job_runs.html",
        {"runs": JobRun.objects.all()[:100], "tomorrow": tomorrow, "preview": preview},
    )
