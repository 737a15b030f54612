from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import Checkout, Consent, PaymentSettings, Refund, SavedMethod, WebhookEvent

SECRETS = ["stripe_secret_key", "stripe_webhook_secret", "paypal_client_secret"]


class PaymentSettingsForm(forms.ModelForm):
    """Secret fields are never sent back to the browser: empty keeps the stored value."""

    class Meta:
        model = PaymentSettings
        fields = [
            "mode", "dunning_days", "consent_version", "stripe_enabled", "stripe_sepa_enabled",
            "stripe_publishable_key", "stripe_secret_key", "stripe_webhook_secret",
            "stripe_api_base", "paypal_enabled", "paypal_client_id", "paypal_client_secret",
            "paypal_webhook_id", "paypal_currency", "paypal_api_base",
        ]  # fmt: skip
        widgets = {name: forms.PasswordInput(render_value=False) for name in SECRETS}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in SECRETS:
            field = self.fields[name]
            field.required = False
            if self.instance and getattr(self.instance, name, ""):
                field.help_text = _("Stored. Leave empty to keep it; type a new one to replace it.")

    def clean(self):
        cleaned = super().clean()
        for name in SECRETS:
            if not cleaned.get(name) and self.instance.pk:
                cleaned[name] = getattr(PaymentSettings.objects.get(pk=self.instance.pk), name)
                setattr(self.instance, name, cleaned[name])
        return cleaned


@admin.register(PaymentSettings)
class PaymentSettingsAdmin(admin.ModelAdmin):
    form = PaymentSettingsForm
    fieldsets = [
        (None, {"fields": ["mode", "dunning_days", "consent_version"]}),
        ("Stripe", {"fields": ["stripe_enabled", "stripe_sepa_enabled", "stripe_publishable_key",
                               "stripe_secret_key", "stripe_webhook_secret", "stripe_api_base"]}),
        ("PayPal", {"fields": ["paypal_enabled", "paypal_client_id", "paypal_client_secret",
                               "paypal_webhook_id", "paypal_currency", "paypal_api_base"]}),
    ]  # fmt: skip

    def has_add_permission(self, request):
        return not PaymentSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnly(admin.ModelAdmin):
    """Written only by the payment operations."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Checkout)
class CheckoutAdmin(ReadOnly):
    list_display = ["created_at", "client", "provider", "method", "status", "amount", "mode"]
    list_filter = ["status", "provider", "mode"]


@admin.register(SavedMethod)
class SavedMethodAdmin(ReadOnly):
    list_display = ["label", "client", "provider", "default", "created_at", "removed_at"]


@admin.register(Consent)
class ConsentAdmin(ReadOnly):
    list_display = ["created_at", "client", "kind", "text_version", "user"]


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnly):
    list_display = ["received_at", "provider", "type", "status", "duplicates"]
    list_filter = ["provider", "status"]


@admin.register(Refund)
class RefundAdmin(ReadOnly):
    list_display = ["created_at", "client", "amount", "status", "refund_id"]
