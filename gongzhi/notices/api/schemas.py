from datetime import datetime

from ninja import Field, Schema

from ..choices import NoticeCategory, NoticeKind, NoticeState, NoticeStatus, NoticeTarget


class NoticeIn(Schema):
    title: str = Field(..., max_length=120, examples=["3号楼停水通知"])
    body: str = Field(..., description="Plain text; line breaks are kept, markup is shown as text.",
                      examples=["因管道维修，3号楼将于11月22日9:00至17:00停水，请提前储水。"])
    kind: NoticeKind = NoticeKind.ROUTINE
    category: NoticeCategory | None = Field(None, description="Required for an emergency notice.")
    important: bool = Field(False, description="Residents are notified; the office can see and remind unread "
                                               "houses.")
    target: NoticeTarget = NoticeTarget.ESTATE
    building_ids: list[int] = Field(default_factory=list, description="With target buildings.")
    unit_ids: list[int] = Field(default_factory=list, description="With target units.")
    expires_at: datetime | None = Field(None, description="From then on residents no longer see it (the archive "
                                                          "keeps it).")

    def fields(self) -> dict:
        data = self.dict()
        data["category"] = data["category"] or ""
        return data


class SupersedeIn(Schema):
    """What the correction changes; anything left out is copied from the original."""

    title: str | None = Field(None, max_length=120)
    body: str | None = None
    kind: NoticeKind | None = None
    category: NoticeCategory | None = None
    important: bool | None = None
    target: NoticeTarget | None = None
    building_ids: list[int] | None = None
    unit_ids: list[int] | None = None
    expires_at: datetime | None = None


class PublishIn(Schema):
    publish_at: datetime | None = Field(None, description="A future time schedules it; empty publishes now.")


class WithdrawIn(Schema):
    reason: str = Field(..., max_length=300, examples=["停水计划取消"])


class AttachmentOut(Schema):
    id: int
    filename: str
    content_type: str
    bytes: int
    is_image: bool
    url: str


class NoticeRowOut(Schema):
    id: int
    title: str
    kind: NoticeKind
    category: str
    important: bool
    target: NoticeTarget
    building_ids: list[int]
    unit_ids: list[int]
    status: NoticeStatus
    state: NoticeState
    pinned: bool = Field(..., description="A current emergency: shown above everything else.")
    publish_at: datetime | None
    published_at: datetime | None
    expires_at: datetime | None
    supersedes_id: int | None = Field(..., description="This notice is a correction of that one.")
    superseded_by_id: int | None = Field(..., description="A published correction replaces this notice.")
    audience_houses: int = Field(..., description="Houses reached, frozen at publication.")
    read: bool = Field(..., description="For a resident: one of their houses has read it.")


class NoticeOut(NoticeRowOut):
    body: str
    created_at: datetime
    withdrawn_at: datetime | None
    withdraw_reason: str
    last_reminded_at: datetime | None
    editable: bool
    attachments: list[AttachmentOut]


class NoticePage(Schema):
    items: list[NoticeRowOut]
    next_cursor: str | None


class BuildingProgressOut(Schema):
    building_id: int
    building: str
    total: int
    read: int
    unread: int
    percent: int


class ReceiptsOut(Schema):
    notice_id: int
    total: int
    read: int
    unread: int
    buildings: list[BuildingProgressOut]
    last_reminded_at: datetime | None
    next_remind_at: datetime | None = Field(..., description="Before this time a reminder answers 409.")


class UnreadHouseOut(Schema):
    house_id: int
    house: str = Field(..., examples=["3-2-1502"])
    building_id: int


class UnreadHousePage(Schema):
    items: list[UnreadHouseOut]
    next_cursor: str | None


class RemindOut(Schema):
    reminded: int = Field(..., description="People notified.")
    next_allowed_at: datetime
