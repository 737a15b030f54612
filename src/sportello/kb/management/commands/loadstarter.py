from django.core.management.base import BaseCommand
from django.utils import timezone

from sportello.kb.starter import LANGUAGES, seed_knowledge_base


class Command(BaseCommand):
    help = (
        "Load the starter knowledge base (mail settings, bounces, blacklists, passwords, "
        "SSL, good tickets, email problems) on a real install. Idempotent: a second run adds "
        "only what is missing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--language",
            action="append",
            choices=LANGUAGES,
            help="only this language (repeat for several); all three by default",
        )

    def handle(self, *args, language=None, **options):
        made = seed_knowledge_base(timezone.now(), tuple(language or LANGUAGES))
        self.stdout.write(
            f"{made['articles']} articles and {made['translations']} translations added."
        )
