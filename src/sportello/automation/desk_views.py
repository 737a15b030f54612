from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sportello.core.access import ADMIN, staff_required
from sportello.core.logs import counts_text

from . import actions, registry
from .labels import JOB_LABELS
from .models import JobRun


@staff_required(ADMIN)
def job_runs(request):
    """When the jobs run next, what each did last and would do tomorrow (a dry run,
    unrecorded), and the latest runs."""
    now = timezone.now()
    tomorrow = timezone.localdate() + timedelta(days=1)
    preview = registry.run_day(registry.run_time(tomorrow), dry_run=True, record=False)
    latest = actions.last_runs()
    jobs = [
        {"name": name, "last": latest.get(name), "tomorrow": preview.get(name)}
        for name in registry.JOBS
    ]
    return render(
        request,
        "automation/desk/job_runs.html",
        {
            "jobs": jobs,
            "runs": JobRun.objects.all()[:100],
            "tomorrow": tomorrow,
            "preview": preview,
            "next_run": actions.next_run(now),
        },
    )


@staff_required(ADMIN)
def job_history(request, name):
    # A job no longer registered (retired in an upgrade) keeps its recorded history.
    if name not in registry.JOBS and not JobRun.objects.filter(job=name).exists():
        raise Http404
    return render(
        request,
        "automation/desk/job_history.html",
        {
            "name": name,
            "registered": name in registry.JOBS,
            "runs": actions.history(name),
            "next_run": actions.next_run(timezone.now()),
        },
    )


@require_POST
@staff_required(ADMIN)
def job_run_now(request, name):
    if name not in registry.JOBS:
        raise Http404
    try:
        result = actions.run_now(name, timezone.now(), request=request)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("desk:job_runs")
    label = str(JOB_LABELS.get(name, name))
    if result["errors"]:
        failure = result["errors"][0]
        messages.error(request, _("%(job)s failed: %(error)s") % {"job": label, "error": failure})
    else:
        messages.success(
            request,
            _("%(job)s run: %(counts)s.")
            % {"job": label, "counts": counts_text(result["counts"]) or _("nothing to do")},
        )
    return redirect("desk:job_history", name=name)
