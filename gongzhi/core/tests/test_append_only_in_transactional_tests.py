"""Transactional tests can empty the database between tests, and the append-only guarantee is back afterwards."""

import pytest
from django.db import DatabaseError, connection, transaction

from gongzhi.core.audit import audit
from gongzhi.core.models import AuditEntry
from gongzhi.core.tests.append_only import append_only_tables


@pytest.mark.django_db(transaction=True)
def test_a_transactional_test_writes_audit_entries():
    audit(user=None, estate=None, action="first")
    assert AuditEntry.objects.count() == 1
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.update(action="changed")


@pytest.mark.django_db(transaction=True)
def test_the_next_one_starts_empty_and_still_append_only():
    assert AuditEntry.objects.count() == 0
    audit(user=None, estate=None, action="second")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.all().delete()


def test_and_so_does_an_ordinary_test(db):
    assert "core_auditentry" in append_only_tables()
    entry = audit(user=None, estate=None, action="third")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditentry WHERE id = %s", [entry.pk])
