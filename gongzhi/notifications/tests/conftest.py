import pytest
from huey.contrib.djhuey import HUEY


@pytest.fixture
def huey_immediate():
    """Run huey tasks in-process as they are enqueued. djhuey builds its Huey instance once, at import, from
    settings.HUEY, so overriding the setting in a test has no effect; the instance's ``immediate`` switch does
    (it also swaps in in-memory storage, so no queue file is touched)."""
    before = HUEY.immediate
    HUEY.immediate = True
    yield HUEY
    HUEY.immediate = before


@pytest.fixture
def mailbox(settings):
    """Django's in-memory mail backend: sent mails land in django.core.mail.outbox."""
    from django.core import mail

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox = []
    return mail.outbox
