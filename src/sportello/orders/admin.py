from django.contrib import admin

from .models import Order, OrderItem, PlanChange, TrustedClient


@admin.register(TrustedClient)
class TrustedClientAdmin(admin.ModelAdmin):
    """Clients whose orders staff may accept before payment (from the desk's order page)."""

    list_display = ["client", "note"]
    search_fields = ["client__name", "client__company_name", "client__owner__email"]
    autocomplete_fields = ["client"]


class ReadOnly(admin.ModelAdmin):
    """Written by checkout, payments and the desk's order pages."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class OrderItemInline(admin.TabularInline):
    model = OrderItem
    extra = 0
    exclude = ["auth_code"]
    readonly_fields = ["product", "service", "kind", "cycle_months", "price"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Order)
class OrderAdmin(ReadOnly):
    list_display = ["__str__", "client", "status", "created_at", "accepted_at", "invoice"]
    list_filter = ["status"]
    search_fields = ["client__name", "client__owner__email"]
    inlines = [OrderItemInline]


@admin.register(PlanChange)
class PlanChangeAdmin(ReadOnly):
    list_display = ["service", "from_product", "to_product", "changed_on", "amount", "status"]
    list_filter = ["status"]
    search_fields = ["service__name"]
