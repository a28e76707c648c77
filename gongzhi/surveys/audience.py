"""Whom a survey asks: the targeted houses (all, some buildings, some houses) and, in them, the owners (owners'
surveys: one answer per house) or every resident (one answer per person). Read only at the current residencies."""

from django.contrib.auth import get_user_model
from django.db.models import QuerySet

from gongzhi.accounts.models import Membership
from gongzhi.estate.choices import OWNER_KINDS
from gongzhi.estate.models import House, Residency

from .choices import Audience, Target
from .models import Survey


def target_houses(survey: Survey) -> QuerySet:
    houses = House.objects.filter(estate_id=survey.estate_id)
    if survey.target == Target.BUILDINGS:
        houses = houses.filter(building_id__in=survey.buildings.values("pk"))
    elif survey.target == Target.HOUSES:
        houses = houses.filter(pk__in=survey.houses.values("pk"))
    return houses


def _residencies(survey: Survey) -> QuerySet:
    qs = Residency.objects.current().filter(estate_id=survey.estate_id, house_id__in=target_houses(survey).values("pk"))
    if survey.audience == Audience.OWNERS:
        qs = qs.filter(kind__in=OWNER_KINDS)
    return qs


def audience_size(survey: Survey) -> int:
    """The denominator of the response rate, frozen at publication: houses with a current owner (owners'
    surveys) or people currently living in or owning a targeted house (all residents)."""
    residencies = _residencies(survey)
    if survey.audience == Audience.OWNERS:
        return residencies.values("house_id").distinct().count()
    return residencies.values("person_id").distinct().count()


def recipients(survey: Survey) -> QuerySet:
    """The active member users the survey asks (for the SURVEY notification)."""
    users = _residencies(survey).filter(person__user__isnull=False).values("person__user_id")
    members = Membership.objects.filter(estate_id=survey.estate_id, ended_at__isnull=True).values("user_id")
    return get_user_model().objects.filter(is_active=True, pk__in=users).filter(pk__in=members).order_by("pk")


def my_houses(survey: Survey, user) -> list[int]:
    """The targeted houses ``user`` may answer for (ids, ascending)."""
    return sorted(set(_residencies(survey).filter(person__user=user).values_list("house_id", flat=True)))


def my_survey_houses(*, estate, user, audience: str | None = None) -> dict:
    """All of ``user``'s current houses in the estate → whether they own it (for the resident's list)."""
    rows = Residency.objects.current().filter(estate=estate, person__user=user).values_list("house_id", "kind",
                                                                                          "house__building_id")
    houses: dict[int, dict] = {}
    for house_id, kind, building_id in rows:
        entry = houses.setdefault(house_id, {"owner": False, "building_id": building_id})
        entry["owner"] |= kind in OWNER_KINDS
    return houses
