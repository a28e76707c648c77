from gongzhi.accounts.choices import AUDIT_READ_ROLES

from .access import Actor


class AuditPolicy:
    @staticmethod
    def can(actor: Actor, action: str, obj=None) -> bool:
        return action == "view" and actor.has_any(AUDIT_READ_ROLES)
