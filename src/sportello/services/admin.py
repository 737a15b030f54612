from django.contrib import admin

from .models import Service


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ["name", "client", "product", "status", "registered_on", "expires_on"]
    list_filter = ["status", "product__type", "renewal_policy"]
    search_fields = ["name", "client__name", "client__owner__email"]
    raw_id_fields = ["client", "parent"]
    list_select_related = ["client", "product"]
