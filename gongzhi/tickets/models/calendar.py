"""The estate's service calendar: working hours per weekday, public holidays and make-up working days (调休),
for SLA targets counted in working hours."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from gongzhi.core.tenancy import TenantModel


def default_working_hours() -> dict:
    """Monday to Friday 08:30–12:00 and 13:30–17:30; weekends closed. Keys are weekdays (0 = Monday)."""
    day = [["08:30", "12:00"], ["13:30", "17:30"]]
    return {str(d): day for d in range(5)} | {"5": [], "6": []}


class ServiceCalendar(TenantModel):
    """One per estate. ``working_hours`` maps a weekday ("0" = Monday) to its [start, end] intervals ("HH:MM",
    local time, non-overlapping, in order)."""

    policy = "gongzhi.tickets.sla.ServiceCalendarPolicy"

    working_hours = models.JSONField(_("working hours"), default=default_working_hours)

    class Meta:
        verbose_name = _("service calendar")
        verbose_name_plural = _("service calendars")
        constraints = [models.UniqueConstraint(fields=["estate"], name="service_calendar_one_per_estate")]

    def __str__(self) -> str:
        return str(self.estate_id)


class CalendarDay(TenantModel):
    """A date that differs from the weekly pattern: a public holiday (no working hours) or a make-up working day
    on a weekend (调休, the working hours of ``hours_of_weekday``)."""

    policy = "gongzhi.tickets.sla.ServiceCalendarPolicy"

    date = models.DateField(_("date"))
    working = models.BooleanField(_("working day"))
    hours_of_weekday = models.PositiveSmallIntegerField(_("hours as on weekday"), default=0,
                                                        help_text=_("A make-up working day keeps the hours of this "
                                                                    "weekday (0 = Monday)."))
    name = models.CharField(_("name"), max_length=60, blank=True)

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["estate", "date"], name="calendar_day_unique_date")]

    def __str__(self) -> str:
        return f"{self.date} {'+' if self.working else '-'}"
