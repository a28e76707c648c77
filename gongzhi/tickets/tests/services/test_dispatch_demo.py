"""The demo's dispatch set-up: profiles, rota, calendar and the 2026 holidays; a second run adds nothing."""

from datetime import date

from gongzhi.tickets.demo import seed_dispatch
from gongzhi.tickets.models import CalendarDay, DutyShift, ServiceCalendar, TechnicianProfile


def test_seed_dispatch_sets_up_the_estate_once(desk):
    made = seed_dispatch(actor=desk.manager)
    assert made["profiles"] == 2 and made["calendar"] == 1
    assert TechnicianProfile.objects.filter(estate=desk.estate, supervisor=desk.dispatcher.user).count() == 2
    assert DutyShift.objects.filter(estate=desk.estate).count() == made["shifts"] > 0
    assert ServiceCalendar.objects.filter(estate=desk.estate).exists()
    # the Spring Festival 2026 make-up Saturday is a working day, New Year's Day a holiday
    assert CalendarDay.objects.get(estate=desk.estate, date=date(2026, 2, 14)).working is True
    assert CalendarDay.objects.get(estate=desk.estate, date=date(2026, 1, 1)).working is False
    assert seed_dispatch(actor=desk.manager) == {"profiles": 0, "shifts": 0, "calendar": 0, "days": 0}
