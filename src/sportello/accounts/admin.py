from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from . import actions
from .models import Client, Consent, Tier, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "role", "language", "is_active", "last_login"]
    list_filter = ["role", "is_active", "language"]
    search_fields = ["email", "first_name", "last_name"]
    filter_horizontal = ["departments"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (_("Person"), {"fields": ["first_name", "last_name", "language"]}),
        (_("Staff"), {"fields": ["role", "departments", "is_active", "is_superuser"]}),
        (_("Dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"fields": ["email", "password1", "password2", "role"]})]
    actions = ["send_enrolment_invitation"]

    def save_model(self, request, obj, form, change):
        """A new staff member (or a client made staff) is invited to enrol: they choose
        their password and second factor from the link mailed to them."""
        super().save_model(request, obj, form, change)
        if obj.is_staff and obj.is_active and not obj.has_two_factor:
            if not change or "role" in form.changed_data:
                self._invite(request, obj)

    @admin.action(description=_("Send the staff enrolment invitation"))
    def send_enrolment_invitation(self, request, queryset):
        for user in queryset.filter(is_staff=True, is_active=True):
            if user.has_two_factor:
                self.message_user(
                    request,
                    gettext("%(email)s already has two-factor login.") % {"email": user.email},
                    messages.WARNING,
                )
            else:
                self._invite(request, user)

    def _invite(self, request, user):
        actions.invite_staff(user, request=request)
        self.message_user(
            request,
            gettext("An enrolment invitation was sent to %(email)s.") % {"email": user.email},
        )


@admin.register(Tier)
class TierAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "helpdesk_access", "is_default"]


@admin.register(Client)
class ClientAdmin(admin.ModelAdmin):
    list_display = ["display_name", "owner", "kind", "country", "tier"]
    list_filter = ["kind", "tier", "country"]
    search_fields = ["name", "company_name", "owner__email", "vat_number", "fiscal_code"]
    raw_id_fields = ["owner"]


@admin.register(Consent)
class ConsentAdmin(admin.ModelAdmin):
    """The acceptances are evidence: read here, written only by the sign-up and the cart."""

    list_display = ["user", "client", "document", "version", "accepted_at", "ip_address"]
    list_filter = ["document", "version"]
    search_fields = ["user__email", "client__name", "client__company_name"]
    readonly_fields = ["user", "client", "document", "version", "accepted_at", "ip_address"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
