"""Reading an uploaded file with a size limit, the same way for every kind of upload."""

from collections.abc import Callable

from .errors import DomainError


def read_limited(upload, limit: int, *, too_large: Callable[[int], DomainError],
                 empty: Callable[[], DomainError]) -> bytes:
    """The upload's bytes, never more than ``limit`` read into memory: ``too_large(limit)`` is raised when the
    declared or the actual size is over it, ``empty()`` when there is nothing."""
    size = getattr(upload, "size", None)
    if size is not None and size > limit:
        raise too_large(limit)
    if hasattr(upload, "seek"):
        upload.seek(0)
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise too_large(limit)
    if not data:
        raise empty()
    return data
