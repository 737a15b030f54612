from django.contrib import admin
from django.urls import include, path

from sportello.accounts import views as account_views
from sportello.accounts.twofactor import session_passed_mfa
from sportello.core import views as core_views
from sportello.desk import views as desk_views

# The admin never signs anyone in itself: its login page sends to allauth's, with the same
# two-factor step and throttling.
# (Both replace methods of Django's default site object, which mypy refuses to type.)
admin.site.login = account_views.admin_login  # type: ignore[method-assign]
admin.site.site_header = "Sportello"
# Configuration is for administrators; billing clerks and agents work in the desk.
admin.site.has_permission = lambda request: (  # type: ignore[method-assign]
    request.user.is_active and request.user.is_admin and session_passed_mfa(request, request.user)
)

urlpatterns = [
    path("", desk_views.root, name="root"),
    path("accounts/", include("sportello.accounts.urls")),
    path("accounts/", include("allauth.urls")),
    path("i18n/setlang/", core_views.switch_language, name="set_language"),
    path("cookies/", core_views.cookie_policy, name="cookie_policy"),
    path("legal/terms/", account_views.legal_document, {"document": "terms"}, name="terms"),
    path("legal/privacy/", account_views.legal_document, {"document": "privacy"}, name="privacy"),
    path("panel/servers/", include("sportello.servers.urls")),
    path("panel/", include("sportello.portal.urls")),
    path("desk/servers/", include("sportello.servers.desk_urls")),
    path("desk/reports/", include("sportello.reports.urls")),
    path("desk/", include("sportello.desk.urls")),
    path("desk/", include("sportello.kb.desk_urls")),
    path("", include("sportello.kb.urls")),
    path("", include("sportello.extra.urls")),
    path("", include("sportello.orders.urls")),
    path("payments/", include("sportello.payments.urls")),
    path("admin/", admin.site.urls),
    path("api/", include("sportello.api.urls")),
    path("panel/api/", include("sportello.api.panel_urls")),
    path("desk/api/", include("sportello.api.desk_urls")),
]
