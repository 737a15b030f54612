from django import template

from sportello.billing.blocks import client_blocks as render_client_blocks
from sportello.billing.blocks import invoice_blocks as render_blocks

register = template.Library()


@register.simple_tag
def invoice_blocks(invoice, place):
    """{% invoice_blocks invoice "desk" %}: what other apps show about this invoice."""
    return render_blocks(invoice, place)


@register.simple_tag
def client_blocks(client, place):
    """{% client_blocks client "invoices" %}: what other apps add to a client's page."""
    return render_client_blocks(client, place)
