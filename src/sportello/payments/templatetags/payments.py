from django import template

from sportello.payments.providers import provider_title

register = template.Library()


@register.filter
def provider_name(name):
    """A provider's registered name ("paypal") as people write it ("PayPal")."""
    return provider_title(str(name))
