from django.contrib import admin

from .models import EInvoice, EInvoiceSettings, Receipt, RecipientProfile, VerifactuRecord


@admin.register(EInvoiceSettings)
class EInvoiceSettingsAdmin(admin.ModelAdmin):
    list_display = ["__str__", "channel", "regime", "stamp_duty_recharged", "verifactu_environment"]
    fieldsets = [
        (None, {"fields": ["regime", "fiscal_code", "transmitter_code", "street", "postcode",
                           "city", "province", "stamp_duty_recharged", "channel"]}),
        ("PEC", {"fields": ["pec_address", "sdi_pec_address", "pec_smtp_host", "pec_smtp_port",
                            "pec_username"]}),
        ("Aruba", {"fields": ["intermediary_auth_url", "intermediary_api_url",
                              "intermediary_username"]}),
        ("VERI*FACTU", {"fields": ["verifactu_environment", "verifactu_url",
                                   "verifactu_certificate"]}),
    ]  # fmt: skip

    def has_add_permission(self, request):
        return not EInvoiceSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(RecipientProfile)
class RecipientProfileAdmin(admin.ModelAdmin):
    list_display = ["client", "recipient_code", "pec", "public_administration", "split_payment"]
    search_fields = ["client__name", "client__company_name", "recipient_code", "pec"]
    raw_id_fields = ["client"]


class ReadOnly(admin.ModelAdmin):
    """Files, receipts and records are the fiscal record: they change only through the
    e-invoice operations."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(EInvoice)
class EInvoiceAdmin(ReadOnly):
    list_display = ["__str__", "invoice", "document_type", "status", "sent_at"]
    list_filter = ["status", "document_type"]


@admin.register(Receipt)
class ReceiptAdmin(ReadOnly):
    list_display = ["filename", "kind", "einvoice", "received_at"]
    list_filter = ["kind"]


@admin.register(VerifactuRecord)
class VerifactuRecordAdmin(ReadOnly):
    list_display = ["position", "kind", "number", "status", "hash"]
    list_filter = ["status", "kind"]
