from django.core.management.base import BaseCommand, CommandError

from sportello.mail.imap import poll
from sportello.mail.models import ImapMailbox


class Command(BaseCommand):
    help = "Read the configured IMAP mailboxes and store their new messages."

    def handle(self, *args, **options):
        mailboxes = list(ImapMailbox.objects.filter(active=True))
        if not mailboxes:
            raise CommandError("no active IMAP mailbox is configured")
        failed = []
        for mailbox in mailboxes:
            try:
                count = poll(mailbox)
            except Exception as error:  # one unreachable server does not stop the others
                failed.append(f"{mailbox}: {type(error).__name__}: {error}")
                continue
            self.stdout.write(f"{mailbox}: {count} new")
        if failed:
            raise CommandError("; ".join(failed))
