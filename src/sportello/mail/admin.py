from django.contrib import admin

from .models import OutboundEmail


@admin.register(OutboundEmail)
class OutboundEmailAdmin(admin.ModelAdmin):
    list_display = ["created_at", "to_address", "subject", "status", "attempts", "sent_at"]
    list_filter = ["status", "template", "language"]
    search_fields = ["to_address", "subject", "message_id"]
    readonly_fields = [f.name for f in OutboundEmail._meta.fields]

    def has_add_permission(self, request):
        return False
