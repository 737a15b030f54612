"""Demo data: the demo staff as technicians, and extra-contract requests in two states."""

from datetime import date, datetime, time, timedelta

from django.utils import timezone

from sportello.accounts.models import Client, User

from . import actions
from .models import Intervention, Skill, Technician


def seed_extra(today: date) -> None:
    people = {
        "admin@sportello.example": ("senior", [s.code for s in Skill.objects.all()]),
        "agent@sportello.example": ("junior", ["linux", "web-panels", "mail-servers"]),
    }
    for email, (level, skills) in people.items():
        user = User.objects.filter(email=email).first()
        if user is None:
            continue
        technician = Technician.objects.get_or_create(user=user, defaults={"level": level})[0]
        technician.skills.set(Skill.objects.filter(code__in=skills))
    if Intervention.objects.exists():
        return
    morning = timezone.make_aware(datetime.combine(today, time(9, 15)))
    bianchi = Client.objects.get(owner__email="info@ferramentabianchi.example")
    server = bianchi.services.filter(product__type="dedicated").first()
    planned_day = today + timedelta(days=7)
    actions.request_intervention(
        bianchi, request="planned", skill=Skill.objects.get(code="hardware"), service=server,
        subject="Sostituzione dischi RAID di srv1 di notte",
        body="Vorremmo sostituire i due dischi del RAID fuori orario, per non fermare il negozio.",
        preferred_start=timezone.make_aware(datetime.combine(planned_day, time(22))),
        preferred_notes="anche la notte successiva", now=morning,
    )  # fmt: skip
    mario = Client.objects.get(owner__email="mario.rossi@example.it")
    intervention = actions.request_intervention(
        mario, request="urgent", skill=Skill.objects.get(code="web-panels"),
        subject="Pannello di controllo irraggiungibile dopo l'aggiornamento",
        body="Dopo l'aggiornamento di ieri il pannello risponde con errore 502.",
        now=morning - timedelta(days=1),
    )  # fmt: skip
    agent = User.objects.get(email="agent@sportello.example")
    actions.take_in_charge(intervention, agent, agent, morning - timedelta(days=1))
