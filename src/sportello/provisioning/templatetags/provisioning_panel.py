from django import template

from sportello.provisioning import actions

register = template.Library()


@register.inclusion_tag("provisioning/_service_panel.html", takes_context=True)
def service_panel(context, service):
    """The service page's part for what the modules know: only database reads here; what
    the servers say is loaded into it afterwards (`portal:service_panel`)."""
    panel = actions.panel_of(service)
    return {
        "panel": panel,
        "service": service,
        "csrf_token": context.get("csrf_token"),
        "pending": actions.pending_requests(service) if panel.shown else [],
    }
