"""Who sees which notification: only its recipient, only in the estate of the URL (platform admins included:
a notification is private to the person it was written for)."""

from gongzhi.core.access import Actor


class NotificationPolicy:
    @staticmethod
    def can(actor: Actor, action: str, obj=None) -> bool:
        return action in {"view", "mark_read"} and (obj is None or obj.user_id == actor.user_id)

    @staticmethod
    def scope(actor: Actor, qs, action: str = "view"):
        return qs.filter(user_id=actor.user_id)
