"""Demo dispatch set-up for the demo estate: every technician gets a profile (skills, the first dispatcher as
supervisor) and a weekly rota, the estate gets its service calendar and China's public holidays and make-up
working days. Written through the services (audited). The lead calls ``seed_dispatch(actor=<a manager Actor of
the demo estate>)`` from the demo seed; running it again adds nothing."""

import datetime

from gongzhi.accounts.choices import Role
from gongzhi.accounts.models import Membership
from gongzhi.core.access import Actor

from . import dispatch
from .choices import Scope, TicketKind
from .models import CalendarDay, DutyShift, ServiceCalendar, TechnicianProfile
from .models.calendar import default_working_hours

# Skill sets handed out in turn (the default categories' skills, defaults.py).
SKILL_SETS = [
    ["plumbing", "electrical", "carpentry"],
    ["elevator", "electrical"],
    ["plumbing", "carpentry", "greening"],
    ["cleaning", "security"],
]

# 国务院办公厅关于2026年部分节假日安排的通知 (国办发明电, 2025-11-04): holidays (放假) and make-up working days
# (调休上班, with Monday's hours).
HOLIDAYS_2026 = [
    ("元旦", ["2026-01-01", "2026-01-02", "2026-01-03"], ["2026-01-04"]),
    ("春节", [f"2026-02-{d:02d}" for d in range(15, 24)], ["2026-02-14", "2026-02-28"]),
    ("清明节", ["2026-04-04", "2026-04-05", "2026-04-06"], []),
    ("劳动节", [f"2026-05-{d:02d}" for d in range(1, 6)], ["2026-05-09"]),
    ("端午节", ["2026-06-19", "2026-06-20", "2026-06-21"], []),
    ("中秋节", ["2026-09-25", "2026-09-26", "2026-09-27"], []),
    ("国庆节", [f"2026-10-{d:02d}" for d in range(1, 8)], ["2026-09-20", "2026-10-10"]),
]
# 2027: the State Council has not published the make-up arrangement yet; only the statutory holidays that fall on
# fixed days (全国年节及纪念日放假办法, as amended in 2024): New Year's Day, Spring Festival (New Year's Eve and
# the first three days: 6 February 2027 is the first day), Labour Day (1–2 May), National Day (1–3 October).
HOLIDAYS_2027 = [
    ("元旦", ["2027-01-01"], []),
    ("春节", ["2027-02-05", "2027-02-06", "2027-02-07", "2027-02-08"], []),
    ("劳动节", ["2027-05-01", "2027-05-02"], []),
    ("国庆节", ["2027-10-01", "2027-10-02", "2027-10-03"], []),
]


def _rota(index: int) -> list[tuple[int, str, str]]:
    """Day shifts Monday to Saturday; every second technician also covers Sunday night (past midnight)."""
    shifts = [(day, "08:00", "17:30") for day in range(6)]
    if index % 2:
        shifts.append((6, "20:00", "08:00"))
    return shifts


def seed_dispatch(*, actor: Actor) -> dict:
    """Set up dispatch in ``actor``'s estate (a manager). Returns what was created."""
    estate = actor.estate
    made = {"profiles": 0, "shifts": 0, "calendar": 0, "days": 0}
    supervisor = (Membership.objects.filter(estate=estate, role=Role.DISPATCHER, ended_at__isnull=True)
                  .order_by("pk").values_list("user_id", flat=True).first())
    technicians = list(Membership.objects.filter(estate=estate, role=Role.TECHNICIAN, ended_at__isnull=True)
                       .order_by("pk").values_list("user_id", flat=True))
    have = set(TechnicianProfile.objects.for_estate(estate).values_list("user_id", flat=True))
    rostered = set(DutyShift.objects.for_estate(estate).values_list("user_id", flat=True))
    for index, user_id in enumerate(technicians):
        if user_id not in have:
            dispatch.technician_profile_create(actor=actor, user_id=user_id,
                                               skills=SKILL_SETS[index % len(SKILL_SETS)],
                                               supervisor_id=supervisor if supervisor != user_id else None)
            made["profiles"] += 1
        if user_id not in rostered:
            for weekday, starts, ends in _rota(index):
                dispatch.duty_shift_create(actor=actor, user_id=user_id, weekday=weekday, starts=starts, ends=ends)
                made["shifts"] += 1
    if not ServiceCalendar.objects.for_estate(estate).exists():
        dispatch.service_calendar_set(actor=actor, working_hours=default_working_hours())
        made["calendar"] = 1
    known = set(CalendarDay.objects.for_estate(estate).values_list("date", flat=True))
    for name, holidays, make_up in HOLIDAYS_2026 + HOLIDAYS_2027:
        for text, working in [(d, False) for d in holidays] + [(d, True) for d in make_up]:
            day = datetime.date.fromisoformat(text)
            if day in known:
                continue
            dispatch.calendar_day_create(actor=actor, date=day, working=working, hours_of_weekday=0,
                                         name=name if not working else f"{name}调休")
            known.add(day)
            made["days"] += 1
    return made


# (who submits: a demo login's role, kind, category skill, scope, title, description, how far it gets)
DEMO_TICKETS = [
    (Role.OWNER, TicketKind.REPAIR, "plumbing", Scope.PRIVATE, "厨房水龙头漏水", "关紧了还是一直滴水。", "rated"),
    (Role.OWNER, TicketKind.REPAIR, "electrical", Scope.PRIVATE, "卫生间插座没电", "吹风机插上没反应，空开没跳。",
     "in_progress"),
    (Role.FAMILY, TicketKind.REPAIR, "electrical", Scope.COMMON, "楼道灯不亮", "8楼到10楼的声控灯都不亮。",
     "resolved"),
    (Role.OWNER, TicketKind.REPAIR, "elevator", Scope.COMMON, "电梯运行有异响", "上行到高层时咔咔响。",
     "assigned"),
    (Role.TENANT, TicketKind.COMPLAINT, "", Scope.COMMON, "夜间地库噪音", "每天凌晨有车辆急加速，影响休息。",
     "submitted"),
    (Role.OWNER, TicketKind.SUGGESTION, "", Scope.COMMON, "建议增加快递柜", "北门快递堆放在地上，下雨天容易淋湿。",
     "submitted"),
]


def seed_tickets(*, estate) -> int:
    """A few tickets of the demo residents at every stage (submitted, assigned, in progress, resolved, rated), made
    through the services so that timelines, SLA deadlines and notifications are real. Only when the estate has no
    tickets yet; returns how many were made."""
    from gongzhi.core.access import resolve_actor

    from . import feedback, services
    from .models import Category, Ticket

    if Ticket.objects.for_estate(estate).exists():
        return 0

    def actor_of(role):
        membership = (Membership.objects.filter(estate=estate, role=role, ended_at__isnull=True)
                      .select_related("user").order_by("pk").first())
        return None if membership is None else resolve_actor(membership.user, estate.pk)

    dispatcher, technician = actor_of(Role.DISPATCHER), actor_of(Role.TECHNICIAN)
    if dispatcher is None or technician is None:
        return 0
    categories = list(Category.objects.for_estate(estate).filter(active=True).order_by("sort_key"))
    made = 0
    for role, kind, skill, scope, title, description, stage in DEMO_TICKETS:
        resident = actor_of(role)
        category = next((c for c in categories if c.kind == kind and c.skill == skill), None)
        category = category or next((c for c in categories if c.kind == kind), None)
        house = _home_of(resident) if resident is not None else None
        if resident is None or category is None or house is None:
            continue
        where = ({"house_id": house.pk} if scope == Scope.PRIVATE
                 else {"building_id": house.building_id, "unit_id": house.unit_id})
        ticket = services.ticket_submit(actor=resident, kind=kind, category_id=category.pk, scope=scope,
                                        title=title, description=description, **where)
        made += 1
        steps = {"assigned": 1, "in_progress": 3, "resolved": 4, "rated": 5}.get(stage, 0)
        if steps >= 1:
            services.ticket_assign(actor=dispatcher, ticket_id=ticket.pk, assignee_id=technician.user.pk)
        if steps >= 3:
            services.ticket_accept(actor=technician, ticket_id=ticket.pk)
            services.ticket_start(actor=technician, ticket_id=ticket.pk)
        if steps >= 4:
            services.ticket_resolve(actor=technician, ticket_id=ticket.pk, note="已处理完毕，请查看。")
        if steps >= 5:
            feedback.rating_submit(actor=resident, ticket_id=ticket.pk, score=5, comment="师傅来得很快，谢谢！")
    return made


def _home_of(actor: Actor):
    from gongzhi.estate.models import House
    from gongzhi.estate.policies import my_house_ids

    return House.objects.filter(estate=actor.estate, pk__in=my_house_ids(actor)).order_by("pk").first()
