"""A file that passed a dry run, kept so that "import now" needs no second upload.

Staged files live in the default storage under imports/<estate id>/<sha256>: the name is the content's hash and the
estate comes from the actor, so a request can only name a file its own estate staged, and the content is checked
against the hash before it is used. Importing deletes it; a nightly task removes what was never imported.
"""

import hashlib
import re
from datetime import timedelta

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from gongzhi.core.access import Actor

ROOT = "imports"
KEEP = timedelta(days=1)
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def _path(actor: Actor, sha256: str) -> str:
    return f"{ROOT}/{actor.estate.pk}/{sha256}"


def stage(*, actor: Actor, data: bytes) -> str:
    sha256 = hashlib.sha256(data).hexdigest()
    path = _path(actor, sha256)
    if not default_storage.exists(path):
        default_storage.save(path, ContentFile(data))
    return sha256


def staged(*, actor: Actor, sha256: str) -> bytes | None:
    """The staged content, or None when it is gone, was never staged by this estate, or does not match its hash."""
    if not _SHA256.match(sha256 or ""):
        return None
    path = _path(actor, sha256)
    if not default_storage.exists(path):
        return None
    with default_storage.open(path, "rb") as fh:
        data = fh.read()
    return data if hashlib.sha256(data).hexdigest() == sha256 else None


def unstage(*, actor: Actor, sha256: str) -> None:
    if _SHA256.match(sha256 or ""):
        default_storage.delete(_path(actor, sha256))


def purge_stale(now=None) -> int:
    """Remove staged files older than KEEP; returns how many."""
    now = now or timezone.now()
    removed = 0
    if not default_storage.exists(ROOT):
        return 0
    estates, _files = default_storage.listdir(ROOT)
    for estate in estates:
        _dirs, files = default_storage.listdir(f"{ROOT}/{estate}")
        for name in files:
            path = f"{ROOT}/{estate}/{name}"
            if now - default_storage.get_modified_time(path) > KEEP:
                default_storage.delete(path)
                removed += 1
    return removed
