"""Who may see and change what in the registry. API, pages, menus and tasks all ask these (DESIGN.md habit 5)."""

from django.db.models import QuerySet

from gongzhi.accounts.choices import (
    COMMITTEE_ROLES,
    ID_NUMBER_FULL_ROLES,
    MOBILE_FULL_ROLES,
    REGISTRY_READ_ROLES,
    REGISTRY_WRITE_ROLES,
    RESIDENT_ROLES,
    Role,
)
from gongzhi.core.access import Actor

STAFF_VIEW = REGISTRY_READ_ROLES | {Role.TECHNICIAN}


def my_house_ids(actor: Actor) -> QuerySet:
    """The houses where the actor's own person record currently lives or owns."""
    from .models import Residency

    return Residency.objects.current().filter(estate=actor.estate, person__user=actor.user).values("house_id")


class RegistryPolicy:
    """Buildings, units, parking: the estate's structure. Staff and the committee see it; managers change it."""

    @staticmethod
    def can(actor: Actor, action: str, obj=None) -> bool:
        if action == "view":
            return actor.has_any(STAFF_VIEW | COMMITTEE_ROLES | {Role.RC_LIAISON})
        if action in {"change", "import", "export"}:
            return actor.has_any(REGISTRY_WRITE_ROLES)
        return False

    @classmethod
    def scope(cls, actor: Actor, qs: QuerySet, action: str = "view") -> QuerySet:
        return qs if cls.can(actor, action) else qs.none()


class HousePolicy(RegistryPolicy):
    """Houses: staff see all; residents see the houses they live in or own."""

    @staticmethod
    def can(actor: Actor, action: str, obj=None) -> bool:
        if RegistryPolicy.can(actor, action):
            return True
        if action == "view" and actor.has_any(RESIDENT_ROLES):
            return obj is None or my_house_ids(actor).filter(house_id=obj.pk).exists()
        return False

    @staticmethod
    def sees_every_house(actor: Actor) -> bool:
        """Whether ``scope`` leaves the estate's houses unfiltered for viewing (prepared reads rely on it)."""
        return RegistryPolicy.can(actor, "view")

    @classmethod
    def scope(cls, actor: Actor, qs: QuerySet, action: str = "view") -> QuerySet:
        if RegistryPolicy.can(actor, action):
            return qs
        if action == "view" and actor.has_any(RESIDENT_ROLES):
            return qs.filter(pk__in=my_house_ids(actor))
        return qs.none()


class PersonPolicy:
    """Persons: personal data (个人信息保护法). Staff who serve residents see them; a resident sees the people of
    their own houses; nobody else does."""

    @staticmethod
    def can(actor: Actor, action: str, obj=None) -> bool:
        if action == "view":
            return actor.has_any(STAFF_VIEW) or actor.has_any(RESIDENT_ROLES)
        if action in {"change", "import", "export"}:
            return actor.has_any(REGISTRY_WRITE_ROLES)
        return False

    @staticmethod
    def sees_everyone(actor: Actor) -> bool:
        """Whether ``scope`` leaves the estate's people unfiltered for viewing (prepared reads rely on it)."""
        return actor.has_any(STAFF_VIEW)

    @classmethod
    def scope(cls, actor: Actor, qs: QuerySet, action: str = "view") -> QuerySet:
        if action == "view" and cls.sees_everyone(actor):
            return qs
        if action in {"change", "import", "export"} and actor.has_any(REGISTRY_WRITE_ROLES):
            return qs
        if action == "view" and actor.has_any(RESIDENT_ROLES):
            return cls.resident_scope(actor, qs)
        return qs.none()

    @staticmethod
    def resident_scope(actor: Actor, qs: QuerySet) -> QuerySet:
        from .models import Residency

        people = Residency.objects.current().filter(house_id__in=my_house_ids(actor)).values("person_id")
        return qs.filter(pk__in=people)

    @staticmethod
    def sees_full_mobile(actor: Actor) -> bool:
        return actor.has_any(MOBILE_FULL_ROLES)

    @staticmethod
    def sees_full_id_number(actor: Actor) -> bool:
        return actor.has_any(ID_NUMBER_FULL_ROLES)


class ResidencyPolicy(PersonPolicy):
    """Who lives where: like persons. A resident sees who lives in their own houses now, and their own past
    records; not the earlier owners or tenants of the house (minimum necessary, 个人信息保护法 art. 6)."""

    @staticmethod
    def resident_scope(actor: Actor, qs: QuerySet) -> QuerySet:
        from django.db.models import Q
        from django.utils import timezone

        not_ended = Q(end_date__isnull=True) | Q(end_date__gte=timezone.localdate())
        return qs.filter(Q(house_id__in=my_house_ids(actor)), not_ended | Q(person__user=actor.user))


class VehiclePolicy(PersonPolicy):
    """Plates are movement data: a resident sees only the vehicles of their own houses, never others' plates."""

    @staticmethod
    def resident_scope(actor: Actor, qs: QuerySet) -> QuerySet:
        return qs.filter(house_id__in=my_house_ids(actor))


class BuildingPolicy(RegistryPolicy):
    pass


class UnitPolicy(RegistryPolicy):
    pass


class ParkingLotPolicy(RegistryPolicy):
    pass


class ParkingSpacePolicy(RegistryPolicy):
    pass
