from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .models import OperatingSystem, ProductType


def check_support_plan(plan, server_type: str, operating_system: str) -> None:
    """Refuse a support plan on a server it does not apply to (SRV-10)."""
    if plan.type != ProductType.SUPPORT_PLAN:
        return
    rule = next((r for r in plan.plan_rules.all() if r.server_type == server_type), None)
    server_label = ProductType(server_type).label if server_type in ProductType.values else ""
    if rule is None:
        allowed = ", ".join(str(r.get_server_type_display()) for r in plan.plan_rules.all())
        raise ValidationError(
            _("The %(plan)s plan does not apply to a %(server)s; it applies to: %(allowed)s.")
            % {"plan": plan.localized_name, "server": server_label, "allowed": allowed or "—"}
        )
    if rule.linux_only and operating_system != OperatingSystem.LINUX:
        raise ValidationError(
            _("The %(plan)s plan is available only for servers running Linux.")
            % {"plan": plan.localized_name}
        )
