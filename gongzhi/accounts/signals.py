"""Keep the access cache honest: any change to a membership, a token, a user or an estate drops what was cached
about it, whoever made the change (a service, the admin site, a data migration)."""

from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from gongzhi.core.access import forget_access, forget_estate_access

from .models import ApiToken, Membership, User
from .selectors import token_key


@receiver([post_save, post_delete], sender=Membership)
def membership_changed(sender, instance: Membership, **kwargs):
    forget_access(instance.user_id, instance.estate_id)


@receiver([post_save, post_delete], sender=ApiToken)
def token_changed(sender, instance: ApiToken, **kwargs):
    cache.delete(token_key(instance.key_hash))


@receiver([post_save, post_delete], sender=User)
def user_changed(sender, instance: User, **kwargs):
    """Deactivation, a new password, superuser status: the user's tokens and memberships are re-read."""
    hashes = ApiToken.objects.filter(user_id=instance.pk).values_list("key_hash", flat=True)
    cache.delete_many([token_key(h) for h in hashes])
    for estate_id in Membership.objects.filter(user_id=instance.pk).values_list("estate_id", flat=True):
        forget_access(instance.pk, estate_id)


def estate_changed(sender, instance, **kwargs):
    forget_estate_access(instance.pk)
