from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from sportello.accounts import actions
from sportello.accounts.models import User


class Command(BaseCommand):
    help = (
        "Mail a staff member the link that sets their password and two-factor login, and "
        "print it. Makes the account (with --role) when it does not exist: the way to the "
        "first administrator."
    )

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument(
            "--role",
            choices=[r.value for r in User.Role if r.value],
            help="make the account with this role if it does not exist",
        )

    def handle(self, *args, email: str, role: str | None, **options):
        with transaction.atomic():
            user = User.objects.filter(email__iexact=email.strip()).first()
            if user is None:
                if not role:
                    raise CommandError(f"no account {email}: give --role to create it")
                user = User.objects.create_user(email=email.strip(), role=role)
                user.set_unusable_password()
                user.save(update_fields=["password"])
            try:
                url = actions.invite_staff(user)
            except ValueError as error:
                raise CommandError(str(error)) from None
        self.stdout.write(f"Invitation sent to {user.email}: {url}")
