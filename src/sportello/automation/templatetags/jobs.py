from django import template

from sportello.automation.labels import JOB_LABELS, describe
from sportello.automation.registry import Counts

register = template.Library()


@register.filter
def job_label(name: str) -> str:
    return str(JOB_LABELS.get(name, name))


@register.filter
def job_counts(counts: Counts) -> str:
    return describe(counts) or "—"
