"""Demo notices for the demo estate: one of each state, written through the services (so audited and with frozen
audiences). The lead calls ``seed_notices(actor=<a manager Actor of the demo estate>)`` from the demo seed; running
it again adds nothing."""

import datetime

from django.utils import timezone

from gongzhi.core.access import Actor
from gongzhi.estate.models import Building

from . import services
from .models import Notice


def seed_notices(*, actor: Actor) -> list[Notice]:
    if Notice.objects.for_estate(actor.estate).exists():
        return []
    now = timezone.now()
    first = Building.objects.for_estate(actor.estate).order_by("sort_key", "name").first()
    made = []

    def publish(**fields) -> Notice:
        notice = services.notice_create(actor=actor, **fields)
        services.notice_publish(actor=actor, notice_id=notice.pk)
        made.append(notice)
        return notice

    publish(title="关于开展小区秋季消防安全检查的通知",
            body="各位业主、住户：\n为保障大家的生命财产安全，物业服务中心将于本周六开展消防安全检查，"
                 "届时工作人员将入户检查燃气、电线及灭火器。\n请家中留人配合，感谢支持！",
            important=True)
    publish(title="绿化修剪作业提示", body="本周三至周五上午，园林工人将在中心花园修剪树木，请绕行并照看好小孩。",
            expires_at=now + datetime.timedelta(days=7))
    if first is not None:
        publish(title=f"{first.name}号楼电梯停运检修", kind="emergency", category="elevator_stop",
                body="因电梯年度检修，该楼电梯今日 9:00–17:00 停运，给您带来不便，敬请谅解。\n如需帮助请致电物业服务中心。",
                target="buildings", building_ids=[first.pk], expires_at=now + datetime.timedelta(days=1))
    wrong = publish(title="停水通知", body="因管道维修，周六 8:00–12:00 全小区停水。")
    correction = services.notice_supersede(actor=actor, notice_id=wrong.pk,
                                           body="因管道维修，周日（非周六）8:00–12:00 全小区停水，请提前储水。")
    services.notice_publish(actor=actor, notice_id=correction.pk)
    made.append(correction)
    withdrawn = publish(title="停车场划线施工通知", body="地面停车场将于下周一重新划线。")
    services.notice_withdraw(actor=actor, notice_id=withdrawn.pk, reason="施工单位改期，另行通知")
    scheduled = services.notice_create(actor=actor, title="元旦游园活动报名",
                                       body="元旦当天在中心广场举办游园活动，欢迎报名参加。")
    services.notice_publish(actor=actor, notice_id=scheduled.pk, publish_at=now + datetime.timedelta(days=3))
    made.append(scheduled)
    made.append(services.notice_create(actor=actor, title="（草稿）垃圾分类宣传周", body="待定"))
    return made
