"""user_create: password rules (length, not common, not all digits, letters and digits) and mobile numbers."""

import pytest

from gongzhi.accounts.models import User
from gongzhi.accounts.services import user_create
from gongzhi.core.errors import Conflict, DomainError
from gongzhi.core.models import AuditEntry


@pytest.fixture(autouse=True)
def _real_validators(settings):
    # The project's validators, whatever the test settings (hashing is made fast elsewhere, not validation).
    from config import settings as project

    settings.AUTH_PASSWORD_VALIDATORS = project.AUTH_PASSWORD_VALIDATORS


@pytest.mark.parametrize("password", [
    "12345678",  # short, common, digits only
    "1234567890123",  # long enough but digits only
    "abcdefghijkl",  # no digit
    "!!!!----????",  # neither letters nor digits
    "Ab3$xyz",  # letters and digits but too short
    "password123",  # common
])
def test_weak_passwords_are_refused(db, password):
    with pytest.raises(DomainError) as refused:
        user_create(actor_user=None, phone="13800000001", name="张三", password=password)
    assert refused.value.code == "weak_password"
    assert refused.value.text("en")
    assert not User.objects.filter(phone="13800000001").exists()
    assert not AuditEntry.objects.filter(action="user.create").exists()


def test_a_password_resembling_the_phone_number_is_refused(db):
    with pytest.raises(DomainError):
        user_create(actor_user=None, phone="13812345678", name="张三", password="a13812345678")


def test_a_good_password_is_accepted_and_hashed(db):
    user = user_create(actor_user=None, phone="+86 138 0000 0001", name="张三", password="Lanting-7-Pavilion")

    assert user.phone == "13800000001"
    assert user.check_password("Lanting-7-Pavilion")
    assert "Lanting-7-Pavilion" not in user.password
    entry = AuditEntry.objects.get(action="user.create", object_id=str(user.pk))
    assert entry.after == {"phone": "13800000001", "name": "张三"}


def test_the_project_hashes_with_argon2():
    from config import settings as project

    assert project.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")


def test_no_password_means_an_unusable_one(db):
    user = user_create(actor_user=None, phone="13800000002", name="李四", password=None)
    assert not user.has_usable_password()


def test_bad_and_duplicate_numbers(db):
    with pytest.raises(DomainError) as bad:
        user_create(actor_user=None, phone="0101234567", name="x", password=None)
    assert bad.value.code == "invalid_mobile"
    user_create(actor_user=None, phone="13800000003", name="x", password=None)
    with pytest.raises(Conflict):
        user_create(actor_user=None, phone="138 0000 0003", name="y", password=None)
