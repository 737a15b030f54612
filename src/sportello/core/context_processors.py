from django.conf import settings

from .models import Provider


def provider(request):
    return {"provider": Provider.current(), "site_url": settings.SITE_URL}
