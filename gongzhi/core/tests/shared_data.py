"""Data built once for a whole test module instead of once per test.

A module whose hundreds of tests read the same world (the isolation tests walk every route against one estate)
builds it inside a transaction that stays open for the module and is rolled back at its end. Each test still runs
in its own savepoint inside it (pytest-django's ``db``), so whatever a test writes is gone before the next one runs,
exactly as with a per-test world.

The function-scoped autouse fixtures (the ledger's test key, fast password hashing) are not active yet when a
module-scoped fixture runs, so the same settings are applied here for the build.
"""

from contextlib import contextmanager

from django.db import transaction
from django.test.utils import override_settings


@contextmanager
def module_transaction(django_db_blocker, tmp_path_factory):
    """Yield with the database open, test settings applied and a transaction that is rolled back on exit."""
    from conftest import TEST_LEDGER_SEED
    from gongzhi.ledger import signing

    media = tmp_path_factory.mktemp("media")
    test_settings = override_settings(MEDIA_ROOT=str(media), LEDGER_SIGNING_KEY=TEST_LEDGER_SEED,
                                      LEDGER_TRUSTED_KEYS=[],
                                      PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
    with django_db_blocker.unblock(), test_settings:
        signing.reset_cache()
        try:
            with transaction.atomic():
                yield
                transaction.set_rollback(True)
        finally:
            signing.reset_cache()
