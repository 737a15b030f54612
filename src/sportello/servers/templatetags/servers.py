from django import template

from sportello.servers import monitoring

register = template.Library()


@register.filter
def check_error(code: str) -> str:
    return monitoring.error_label(code) if code else ""


@register.inclusion_tag("servers/_service_links.html")
def server_links(service):
    """Links from a client's service page to its migration and monitoring pages."""
    from sportello.servers.views import SERVER_TYPES, current_migration

    if service.product.type not in SERVER_TYPES:
        return {"service": None}
    return {
        "service": service,
        "migration": current_migration(service),
        "monitors": list(service.monitors.all()),
    }


@register.inclusion_tag("servers/_desk_client_servers.html")
def desk_client_servers(client):
    """The client's servers on the staff client page, each with its server page."""
    from sportello.servers.views import SERVER_TYPES

    servers = client.services.filter(product__type__in=SERVER_TYPES).select_related("product")
    return {"servers": list(servers)}
