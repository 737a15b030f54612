"""Ticket attachments through the API: uploaded with a message under the help desk's
limits, downloaded under the panel's rules."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from sportello.helpdesk.models import Attachment, HelpdeskSettings, Message

pytestmark = pytest.mark.django_db


def upload(client, world, raw, files, **fields):
    headers = {key: fields.pop(key) for key in list(fields) if key.startswith("HTTP_")}
    data = {"body": "Allego il log.", **fields, "files": files}
    return client.post(f"/api/v1/tickets/{world.ticket.code}/attachments", data=data,
                       HTTP_AUTHORIZATION=f"Bearer {raw}", **headers)  # fmt: skip


def test_a_client_uploads_and_downloads_its_files(client, world):
    raw = world.token(world.client_a.owner, client=world.client_a)
    files = [SimpleUploadedFile("errore.log", b"PHP Fatal error"),
             SimpleUploadedFile("pagina.png", b"\x89PNG\r\n", "image/png")]  # fmt: skip
    response = upload(client, world, raw, files)
    assert response.status_code == 201, response.content
    message = response.json()["messages"][-1]
    assert message["kind"] == "client" and message["body"] == "Allego il log."
    assert [a["filename"] for a in message["attachments"]] == ["errore.log", "pagina.png"]
    download = client.get(
        f"/api/v1/tickets/{world.ticket.code}/attachments/{message['attachments'][0]['id']}",
        HTTP_AUTHORIZATION=f"Bearer {raw}",
    )
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"PHP Fatal error"
    # Client B sees neither the ticket nor its files.
    other = world.token(world.client_b.owner, client=world.client_b)
    assert upload(client, world, other, [SimpleUploadedFile("x.txt", b"x")]).status_code == 404
    path = f"/api/v1/tickets/{world.ticket.code}/attachments/{world.attachment.pk}"
    assert client.get(path, HTTP_AUTHORIZATION=f"Bearer {other}").status_code == 404


def test_the_help_desks_limits_answer_422_naming_the_file(client, world):
    raw = world.token(world.client_a.owner, client=world.client_a)
    before = Attachment.objects.count()
    wrong_type = upload(client, world, raw, [SimpleUploadedFile("setup.exe", b"MZ")],
                        HTTP_ACCEPT_LANGUAGE="en")  # fmt: skip
    assert wrong_type.status_code == 422
    assert wrong_type["Content-Type"] == "application/problem+json"
    assert "setup.exe" in wrong_type.json()["detail"]
    config = HelpdeskSettings.current()
    config.attachment_max_mb = 1
    config.save()
    big = SimpleUploadedFile("dump.txt", b"x" * (1024 * 1024 + 1))
    too_large = upload(client, world, raw, [big])
    assert too_large.status_code == 422 and "dump.txt" in too_large.json()["detail"]
    assert Attachment.objects.count() == before
    assert not Message.objects.filter(body="Allego il log.").exists()


def test_staff_notes_with_files_stay_internal(client, world):
    staff = world.token(world.admin)
    response = upload(client, world, staff, [SimpleUploadedFile("diagnosi.txt", b"ok")],
                      note="true")  # fmt: skip
    assert response.status_code == 201 and response.json()["messages"][-1]["kind"] == "note"
    note_file = Attachment.objects.get(filename="diagnosi.txt")
    mine = world.token(world.client_a.owner, client=world.client_a)
    path = f"/api/v1/tickets/{world.ticket.code}/attachments/{note_file.pk}"
    assert client.get(path, HTTP_AUTHORIZATION=f"Bearer {mine}").status_code == 404
    # A client token may not write notes.
    refused = upload(client, world, mine, [SimpleUploadedFile("a.txt", b"a")], note="true")
    assert refused.status_code == 403


def test_the_same_idempotency_key_answers_the_first_upload(client, world):
    raw = world.token(world.client_a.owner, client=world.client_a)

    def send(content):
        files = [SimpleUploadedFile("a.log", content)]
        return upload(client, world, raw, files, HTTP_IDEMPOTENCY_KEY="up-1")

    first, again = send(b"uno"), send(b"uno")
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert Attachment.objects.filter(filename="a.log").count() == 1
    assert send(b"due").status_code == 422
