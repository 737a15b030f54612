from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProvisioningConfig(AppConfig):
    name = "sportello.provisioning"
    verbose_name = _("Provisioning")

    def ready(self):
        from sportello.services.provisioning import register_provisioner

        from . import dispatch

        register_provisioner(dispatch.provision_status_change)
