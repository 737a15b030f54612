from django.conf import settings
from django.views.decorators.http import require_POST
from django.views.i18n import set_language


@require_POST
def switch_language(request):
    """Django's language switch, remembered in the profile of a logged-in user."""
    language = request.POST.get("language")
    if request.user.is_authenticated and language in dict(settings.LANGUAGES):
        request.user.language = language
        request.user.save(update_fields=["language"])
    return set_language(request)


def cookie_policy(request):
    from django.shortcuts import render

    return render(request, "core/cookies.html")
