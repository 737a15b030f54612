from django import template

from sportello.billing.blocks import invoice_blocks as render_blocks

register = template.Library()


@register.simple_tag
def invoice_blocks(invoice, place):
    """{% invoice_blocks invoice "desk" %}: what other apps show about this invoice."""
    return render_blocks(invoice, place)
