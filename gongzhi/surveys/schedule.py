"""Recurring surveys: a schedule publishes a copy of its template at the start of each period (quarter or month).
Idempotent per period: the (schedule, period start) pair is unique in the database, so running it twice, or on
two workers at once, makes exactly one survey."""

import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gongzhi.core.access import Actor
from gongzhi.core.audit import audit
from gongzhi.core.errors import Forbidden, NotFound

from .builder import _publish, copy_survey
from .choices import Recurrence
from .errors import invalid
from .models import Survey, SurveySchedule
from .periods import month_start, quarter_bounds, quarter_of
from .policies import SurveyPolicy


def period_of(schedule: SurveySchedule, day: datetime.date) -> tuple[datetime.date, str]:
    if schedule.recurrence == Recurrence.MONTHLY:
        first = month_start(day)
        return first, f"{first:%Y-%m}"
    year, quarter = quarter_of(day)
    return quarter_bounds(year, quarter)[0], f"{year} Q{quarter}"


@transaction.atomic
def schedule_create(*, actor: Actor, template_id: int, name: str, recurrence: str = Recurrence.QUARTERLY,
                    open_days: int = 30) -> SurveySchedule:
    if not SurveyPolicy.can(actor, "manage"):
        raise Forbidden()
    template = Survey.objects.for_estate(actor.estate).filter(pk=template_id, is_template=True).first()
    if template is None:
        raise NotFound()
    if recurrence not in Recurrence.values:
        raise invalid("recurrence", _("is not one of the allowed values"))
    if not 1 <= open_days <= 92:
        raise invalid("open_days", _("must be between %(low)s and %(high)s"), low=1, high=92)
    name = (name or "").strip() or template.title
    schedule = SurveySchedule.objects.create(estate=actor.estate, template=template, name=name[:120],
                                             recurrence=recurrence, open_days=open_days)
    audit(user=actor.user, estate=actor.estate, action="survey_schedule.create", obj=schedule,
          after={"template": template.pk, "recurrence": recurrence, "open_days": open_days})
    return schedule


@transaction.atomic
def schedule_set_active(*, actor: Actor, schedule_id, active: bool) -> SurveySchedule:
    """Pause (``active=False``) or resume a schedule. A paused schedule publishes nothing; resumed, it publishes
    the current period's survey at its next run if that period has none yet. Setting what is already set changes
    nothing and writes no audit record (a retried call is harmless)."""
    if not SurveyPolicy.can(actor, "manage"):
        raise Forbidden()
    found = SurveySchedule.objects.for_estate(actor.estate).select_for_update().filter(
        pk=int(schedule_id) if str(schedule_id).isdigit() else 0).first()
    if found is None:
        raise NotFound()
    if not isinstance(active, bool):
        raise invalid("active", _("must be true or false"))
    if found.active != active:
        found.active = active
        found.save(update_fields=["active"])
        audit(user=actor.user, estate=actor.estate, action="survey_schedule.resume" if active else
              "survey_schedule.pause", obj=found, before={"active": not active}, after={"active": active})
    return found


def schedule_list(*, actor: Actor):
    """The estate's schedules with their templates (staff and committee)."""
    if not SurveyPolicy.can(actor, "manage"):
        raise Forbidden()
    return SurveySchedule.objects.for_estate(actor.estate).select_related("template").order_by("pk")


def schedule_run(*, schedule: SurveySchedule, now: datetime.datetime | None = None) -> tuple[Survey, bool]:
    """The survey of the period containing ``now``: (survey, created). Creates and publishes it when missing."""
    now = now or timezone.now()
    first, label = period_of(schedule, timezone.localtime(now).date())
    existing = Survey.objects.filter(schedule=schedule, period_start=first).first()
    if existing is not None:
        return existing, False
    opens_at = max(now, timezone.make_aware(datetime.datetime.combine(first, datetime.time())))
    try:
        with transaction.atomic():
            template = Survey.objects.select_related("estate").get(pk=schedule.template_id)
            survey = copy_survey(template, title=f"{template.title} · {label}", schedule=schedule,
                                 period_start=first, opens_at=opens_at,
                                 closes_at=opens_at + datetime.timedelta(days=schedule.open_days))
            survey.estate = template.estate
            _publish(survey, user=None, now=now)
    except IntegrityError:  # another run made it first
        return Survey.objects.get(schedule=schedule, period_start=first), False
    return survey, True


def schedules_run(*, now: datetime.datetime | None = None) -> list[int]:
    """Run every active schedule (the periodic task); returns the ids of the surveys created."""
    created = []
    for schedule in SurveySchedule.objects.filter(active=True).order_by("pk"):
        survey, new = schedule_run(schedule=schedule, now=now)
        if new:
            created.append(survey.pk)
    return created
