from django import template

from sportello.automation.labels import JOB_LABELS, describe

register = template.Library()


@register.filter
def job_label(name: str) -> str:
    return JOB_LABELS.get(name, name)


@register.filter
def job_counts(counts: dict) -> str:
    return describe(counts) or "—"
