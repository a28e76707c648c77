from gongzhi.core.access import Actor

from .choices import MEMBERSHIP_ADMIN_ROLES, STAFF_ROLES


class MembershipPolicy:
    """Staff see who holds which role in their estate; managers grant and end roles."""

    @staticmethod
    def can(actor: Actor, action: str, obj=None) -> bool:
        if action == "view":
            return actor.has_any(STAFF_ROLES)
        if action == "change":
            return actor.has_any(MEMBERSHIP_ADMIN_ROLES)
        return False


class ApiTokenPolicy:
    """A token is its owner's business; a platform admin may revoke anyone's."""

    @staticmethod
    def can_manage(user, token) -> bool:
        return token.user_id == user.pk or user.is_superuser
