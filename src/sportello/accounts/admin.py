from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import Client, Tier, User


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


@admin.register(Tier)
class TierAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "helpdesk_access", "is_default"]


@admin.register(Client)
class ClientAdmin(admin.ModelAdmin):
    list_display = ["display_name", "owner", "kind", "country", "tier"]
    list_filter = ["kind", "tier", "country"]
    search_fields = ["name", "company_name", "owner__email", "vat_number", "fiscal_code"]
    raw_id_fields = ["owner"]
