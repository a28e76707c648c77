"""Ticket photos through HTTP: uploading, the detail listing them, and streaming them only to people who may see the
ticket."""

from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from gongzhi.tickets.models import TicketPhoto
from gongzhi.tickets.tests.factories import CommentFactory


def jpeg(size=(800, 600)) -> bytes:
    out = BytesIO()
    Image.new("RGB", size, (20, 120, 200)).save(out, "JPEG")
    return out.getvalue()


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def client_for(desk, api):
    clients = {}

    def get(actor, estate=None):
        estate = estate or desk.estate
        key = (actor.user.pk, estate.pk)
        if key not in clients:
            clients[key] = api(actor.user, [estate])
        return clients[key]

    return get


@pytest.fixture
def upload(desk, client_for):
    def send(actor, ticket, data, name="photo.jpg", **fields):
        return client_for(actor).post(f"/api/v1/estates/{desk.estate.pk}/tickets/{ticket.pk}/photos",
                                      {"file": SimpleUploadedFile(name, data, content_type="image/jpeg"), **fields})

    return send


def body_of(response) -> bytes:
    return b"".join(response.streaming_content)


def test_a_resident_uploads_a_photo_and_the_technician_sees_it(desk, upload, client_for):
    # given the resident's repair assigned to a technician
    ticket = desk.ticket(status="assigned", assignee=desk.technician.user)
    # when the resident uploads a photo
    response = upload(desk.resident, ticket, jpeg())
    # then it is created with its sizes and URLs under the API
    assert response.status_code == 201, response.content
    photo = response.json()
    assert (photo["content_type"], photo["width"], photo["height"], photo["comment_id"]) == (
        "image/jpeg", 800, 600, None)
    assert photo["url"] == f"/api/v1/estates/{desk.estate.pk}/tickets/{ticket.pk}/photos/{photo['id']}"
    assert photo["thumbnail_url"] == photo["url"] + "?size=thumb"
    # and the ticket's detail lists it
    detail = client_for(desk.technician).get(f"/api/v1/estates/{desk.estate.pk}/tickets/{ticket.pk}").json()
    assert [p["id"] for p in detail["photos"]] == [photo["id"]]
    # and the technician and the family get the file, privately cached
    for actor in (desk.technician, desk.family, desk.dispatcher):
        response = client_for(actor).get(photo["url"])
        assert response.status_code == 200
        assert response["Content-Type"] == "image/jpeg"
        assert "private" in response["Cache-Control"]
        assert Image.open(BytesIO(body_of(response))).size == (800, 600)
    # and the thumbnail is small
    thumb = client_for(desk.resident).get(photo["thumbnail_url"])
    assert Image.open(BytesIO(body_of(thumb))).size == (320, 240)


def test_another_household_and_another_estate_get_404(desk, upload, client_for, other_estate, member, api):
    # given a photo of the resident's ticket
    ticket = desk.ticket()
    url = upload(desk.resident, ticket, jpeg()).json()["url"]
    # when the neighbour asks for it, then 404
    assert client_for(desk.neighbour).get(url).status_code == 404
    # when a manager of another estate asks for it, through A's path or their own estate's, then 404
    outsider = member("manager", other_estate)
    client = api(outsider, [other_estate])
    assert client.get(url).status_code == 404
    assert client.get(url.replace(f"/estates/{desk.estate.pk}/", f"/estates/{other_estate.pk}/")).status_code == 404
    # and an anonymous caller gets 401
    assert api().get(url).status_code == 401


def test_a_photo_of_an_internal_note_is_for_staff_only(desk, upload, client_for):
    # given a technician's internal note with a photo
    ticket = desk.ticket(status="assigned", assignee=desk.technician.user)
    note = CommentFactory(ticket=ticket, author=desk.technician.user, internal=True)
    response = upload(desk.technician, ticket, jpeg(), comment_id=note.pk)
    assert response.status_code == 201, response.content
    url = response.json()["url"]
    # then the desk sees it under the note, the resident neither in the detail nor by its URL
    detail = client_for(desk.dispatcher).get(f"/api/v1/estates/{desk.estate.pk}/tickets/{ticket.pk}").json()
    assert detail["photos"] == [] and [p["url"] for p in detail["comments"][0]["photos"]] == [url]
    assert client_for(desk.dispatcher).get(url).status_code == 200
    assert client_for(desk.resident).get(url).status_code == 404


def test_a_renamed_script_is_refused_with_a_clear_error(desk, upload, media):
    # given a shell script named photo.jpg
    ticket = desk.ticket()
    # when it is uploaded
    response = upload(desk.resident, ticket, b"#!/bin/sh\necho owned\n")
    # then 400 photo_type, in both languages, and nothing is kept
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "photo_type" and set(body["messages"]) == {"zh-hans", "en"}
    assert not TicketPhoto.objects.exists()
    assert [p for p in media.rglob("*") if p.is_file()] == []


def test_the_tenth_photo_is_refused(desk, upload):
    # given nine photos on the ticket
    ticket = desk.ticket()
    small = jpeg((40, 30))
    for _ in range(9):
        assert upload(desk.resident, ticket, small).status_code == 201
    # when a tenth is uploaded, then 400 photo_limit
    response = upload(desk.resident, ticket, small)
    assert (response.status_code, response.json()["code"]) == (400, "photo_limit")


def test_the_files_are_not_reachable_from_a_public_media_url(desk, upload, client):
    # given a stored photo
    ticket = desk.ticket()
    upload(desk.resident, ticket, jpeg())
    name = TicketPhoto.objects.get().image.name
    # when anyone asks for it under /media/, then there is nothing there
    assert client.get(f"/media/{name}").status_code == 404
