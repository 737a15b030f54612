"""Attachment limits per file, per message and per ticket, enforced while the upload streams
in: what is refused is named to the writer in their language, nothing of it is kept, and
the text they wrote comes back with the form."""

import pytest
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import SkipFile
from django.test import RequestFactory
from django.urls import reverse

from sportello.extra.models import Skill
from sportello.helpdesk.models import Attachment, Category, HelpdeskSettings, Message, Ticket
from sportello.helpdesk.uploads import AttachmentLimitHandler
from sportello.testing import make_service, make_staff, make_ticket

pytestmark = pytest.mark.django_db
MB = 1024 * 1024


@pytest.fixture(autouse=True)
def stored(settings, tmp_path, monkeypatch):
    """1 MB per file, 2 MB per message, 3 MB per ticket; the attachment store and the
    temporary upload files in folders of this test, so what is kept can be seen."""
    config = HelpdeskSettings.current()
    config.attachment_max_mb = 1
    config.message_attachments_max_mb = 2
    config.ticket_attachments_max_mb = 3
    config.save()
    attachments = tmp_path / "attachments"
    storage = FileSystemStorage(location=attachments)
    monkeypatch.setattr(Attachment._meta.get_field("file"), "storage", storage)
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = str(incoming)
    return attachments, incoming


def kept_files(stored) -> list[str]:
    return sorted(path.name for folder in stored for path in folder.rglob("*") if path.is_file())


def upload(name, size) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"x" * size)


@pytest.fixture
def agent(db):
    helpdesk = Category.objects.get(code="hosting").department
    return make_staff(departments=[helpdesk], email="carla@sportello.example")


def test_a_file_over_the_limit_is_refused_by_name_nothing_of_it_is_kept_and_the_text_stays(
    client, owner, stored
):
    client.force_login(owner.owner)
    service = make_service(owner, name="olga.it")
    response = client.post(reverse("portal:ticket_new"), {
        "category": Category.objects.get(code="hosting").pk, "service": service.pk,
        "priority": "normal", "subject": "Sito olga.it lento",
        "description": "Il log degli errori è allegato.",
        "attachments": [upload("big.zip", 3 * MB // 2), upload("note.txt", 100)],
    })  # fmt: skip
    assert response.status_code == 200
    page = response.content.decode()
    assert "«big.zip» supera 1 MB, il limite per un file." in page
    assert 'value="Sito olga.it lento"' in page and "Il log degli errori è allegato." in page
    # Left out while the body was read: the view never received it.
    assert [f.name for f in response.wsgi_request.FILES.getlist("attachments")] == ["note.txt"]
    assert not Ticket.objects.exists()
    assert kept_files(stored) == []


def test_the_handler_stops_keeping_a_file_at_the_chunk_that_passes_the_limit():
    request = RequestFactory().post("/")
    handler = AttachmentLimitHandler(request)
    handler.new_file("attachments", "dump.sql", "text/plain", None)
    half = b"x" * (MB // 2)
    assert handler.receive_data_chunk(half, 0) == half
    assert handler.receive_data_chunk(half, len(half)) == half  # exactly 1 MB: allowed
    with pytest.raises(SkipFile):
        handler.receive_data_chunk(b"x", MB)
    assert [(r.name, r.reason) for r in request.refused_uploads] == [("dump.sql", "file")]


def test_files_over_the_total_of_one_message_are_refused_and_the_answer_kept(client, owner, stored):
    ticket = make_ticket(owner)
    client.force_login(owner.owner)
    response = client.post(reverse("portal:ticket", args=[ticket.code]), {
        "body": "Ecco i tre log richiesti.",
        "attachments": [upload(name, 900 * 1024) for name in ("a.log", "b.log", "c.log")],
    })  # fmt: skip
    assert response.status_code == 200
    page = response.content.decode()
    assert "«c.log» non ci sta: i file di un messaggio possono essere al massimo 2 MB" in page
    assert "Ecco i tre log richiesti." in page
    assert not ticket.messages.filter(body="Ecco i tre log richiesti.").exists()
    assert kept_files(stored) == []


def test_a_reply_that_would_take_the_ticket_over_its_total_is_refused(client, owner, agent, stored):
    ticket = make_ticket(owner, attachments=[upload("a.zip", 900 * 1024),
                                             upload("b.zip", 900 * 1024)])  # fmt: skip
    assert kept_files(stored) == ["a.zip", "b.zip"]
    client.force_login(owner.owner)
    response = client.post(reverse("portal:ticket", args=[ticket.code]), {
        "body": "Altri due archivi.",
        "attachments": [upload("c.zip", 800 * 1024), upload("d.zip", 800 * 1024)],
    })  # fmt: skip
    page = response.content.decode()
    assert "Gli allegati di un ticket possono essere al massimo 3 MB in tutto" in page
    assert "Altri due archivi." in page
    assert ticket.messages.filter(kind=Message.Kind.CLIENT).count() == 1
    # Staff are held to the same total.
    client.force_login(agent)
    response = client.post(reverse("desk:ticket", args=[ticket.code]), {
        "action": "reply", "body": "Le mando la configurazione.", "then": "open",
        "attachments": [upload("config.zip", 1000 * 1024), upload("log.zip", 300 * 1024)],
    })  # fmt: skip
    page = response.content.decode()
    assert "Gli allegati di un ticket possono essere al massimo 3 MB in tutto" in page
    assert "Le mando la configurazione." in page
    assert kept_files(stored) == ["a.zip", "b.zip"]


def test_staff_see_which_file_was_refused_and_keep_their_answer(client, owner, agent, stored):
    ticket = make_ticket(owner)
    client.force_login(agent)
    response = client.post(reverse("desk:ticket", args=[ticket.code]), {
        "action": "reply", "body": "Ecco la guida completa.", "then": "open",
        "attachments": [upload("guida.pdf", 2 * MB)],
    })  # fmt: skip
    page = response.content.decode()
    assert "«guida.pdf» supera 1 MB, il limite per un file." in page
    assert "Ecco la guida completa." in page
    assert not ticket.messages.filter(kind=Message.Kind.STAFF).exists()
    assert kept_files(stored) == []


def test_an_extra_contract_request_is_held_to_the_same_limits(client, owner, stored):
    client.force_login(owner.owner)
    response = client.post(reverse("extra:request"), {
        "request": "ordinary", "skill": Skill.objects.get(code="linux").pk,
        "subject": "Migrare il database di srv1", "description": "Il dump è allegato.",
        "attachments": [upload("dump.sql", 3 * MB // 2)],
    })  # fmt: skip
    assert response.status_code == 200
    assert "«dump.sql» supera 1 MB, il limite per un file." in response.content.decode()
    assert not Ticket.objects.exists()
    assert kept_files(stored) == []


class Tripwire:
    """A request body that fails the test if anything reads it."""

    def read(self, *args):
        raise AssertionError("the body was read")

    readline = read


def test_a_body_larger_than_a_message_may_be_is_refused_413_unread_in_italian(client, owner):
    client.force_login(owner.owner)
    response = client.post(
        reverse("portal:ticket_new"), CONTENT_LENGTH=str(40 * MB), **{"wsgi.input": Tripwire()}
    )
    assert response.status_code == 413
    page = response.content.decode()
    assert "File troppo grandi" in page
    assert "possono essere al massimo 2 MB in tutto, e ciascun file al massimo 1 MB" in page
    assert not Ticket.objects.exists()


def test_an_api_body_too_large_is_refused_as_problem_details_unread(client, owner):
    response = client.post(
        "/api/v1/tickets/ABC-123-45678/attachments", CONTENT_LENGTH=str(40 * MB),
        HTTP_ACCEPT_LANGUAGE="es", **{"wsgi.input": Tripwire()},
    )  # fmt: skip
    assert response.status_code == 413
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 413 and problem["title"] == "Archivos demasiado grandes"
    assert "2 MB" in problem["detail"]
