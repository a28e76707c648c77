"""Helpers for the tickets page tests: a signed-in browser per actor, small photos, the page's text."""

from io import BytesIO

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image


def browser(actor, language: str = "en") -> Client:
    """A page client signed in as the actor's user; English pages, so that assertions read plainly."""
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(actor.user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def jpeg(name: str = "leak.jpg", size=(40, 30)) -> SimpleUploadedFile:
    out = BytesIO()
    Image.new("RGB", size, (200, 80, 40)).save(out, "JPEG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


def fake_jpeg(name: str = "virus.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"MZ\x90\x00 this is not a photo", content_type="image/jpeg")


def text(response) -> str:
    return response.content.decode()
