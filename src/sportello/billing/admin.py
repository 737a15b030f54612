from django.contrib import admin

from .models import (
    BankEntry,
    BillingSettings,
    Coupon,
    CouponUse,
    CreditEntry,
    ExchangeRate,
    Invoice,
    InvoiceLine,
    Payment,
    VatRate,
)


@admin.register(BillingSettings)
class BillingSettingsAdmin(admin.ModelAdmin):
    list_display = ["__str__", "iban", "numbering", "payment_terms_days", "auto_apply_credit"]

    def has_add_permission(self, request):
        return not BillingSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(VatRate)
class VatRateAdmin(admin.ModelAdmin):
    list_display = ["country", "rate", "valid_from", "valid_to"]
    list_filter = ["country"]


@admin.register(ExchangeRate)
class ExchangeRateAdmin(admin.ModelAdmin):
    list_display = ["day", "currency", "rate"]
    list_filter = ["currency"]
    date_hierarchy = "day"


class CouponUseInline(admin.TabularInline):
    model = CouponUse
    fields = ["created_at", "client", "invoice", "discount"]
    readonly_fields = ["created_at", "client", "invoice", "discount"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Coupon)
class CouponAdmin(admin.ModelAdmin):
    list_display = [
        "code", "kind", "value", "valid_from", "valid_to", "uses", "max_uses", "renewals",
        "announced",
    ]  # fmt: skip
    list_filter = ["announced", "renewals"]
    search_fields = ["code", "description"]
    filter_horizontal = ["products"]
    readonly_fields = ["uses"]
    inlines = [CouponUseInline]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Issued documents and money movements change only through the billing operations."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class InvoiceLineInline(admin.TabularInline):
    model = InvoiceLine
    extra = 0
    can_delete = False

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "client", "kind", "status", "issued_on", "total", "paid_total"]
    list_filter = ["kind", "status", "purpose"]
    search_fields = ["billing_name", "payment_reference", "client__owner__email"]
    inlines = [InvoiceLineInline]


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ["received_on", "client", "invoice", "method", "amount", "original_currency"]
    list_filter = ["method"]


@admin.register(CreditEntry)
class CreditEntryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "client", "kind", "amount"]


@admin.register(BankEntry)
class BankEntryAdmin(ReadOnlyAdmin):
    list_display = ["booking_date", "amount", "currency", "counterparty", "status", "invoice"]
    list_filter = ["status"]
