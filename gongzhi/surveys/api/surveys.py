"""Surveys API: the builder (manager, customer service, owners' committee), answering (residents), results and the
.xlsx export. Errors are the one error shape: 400 bad input naming the field or the question, 403 the role may not
(or the named house is outside the target), 404 missing, another estate's, or not addressed to the resident, 409
frozen, wrong status or ``already_answered``."""

import datetime
from decimal import Decimal
from typing import Any

from django.http import HttpResponse
from ninja import Field, Router, Schema, Status

from gongzhi.core.api import api_actor
from gongzhi.core.pagination import paginate

from .. import builder, exports, responses, results, schedule, selectors
from ..responses import survey_for_resident

router = Router(tags=["surveys"])

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class SurveyQuestionIn(Schema):
    kind: str = Field(..., description="single, multiple, scale (1-5), nps (0-10) or text")
    text: str
    required: bool = True
    options: list[str] = Field(default_factory=list, description="Choice questions: the options, in order.")
    max_choices: int | None = Field(None, description="Multiple choice: at most this many.")
    key: str = Field("", description="A stable key kept by copies of a template (for the evaluation).")


class SurveyIn(Schema):
    title: str
    intro: str = ""
    audience: str = Field("owners", description="owners (one answer per house) or residents (one per person)")
    target: str = Field("all", description="all, buildings or houses")
    building_ids: list[int] = Field(default_factory=list)
    house_ids: list[int] = Field(default_factory=list)
    anonymous: bool = True
    results_public: bool = False
    is_template: bool = False
    opens_at: datetime.datetime | None = None
    closes_at: datetime.datetime | None = None
    questions: list[SurveyQuestionIn] = Field(default_factory=list)
    idempotency_key: str = Field("", max_length=64)


class SurveyQuestionOut(Schema):
    id: int
    position: int
    key: str
    kind: str
    text: str
    required: bool
    options: list[str]
    max_choices: int | None


class SurveyOut(Schema):
    id: int
    title: str
    intro: str
    status: str
    audience: str
    target: str
    anonymous: bool
    results_public: bool
    is_template: bool
    opens_at: datetime.datetime | None
    closes_at: datetime.datetime | None
    published_at: datetime.datetime | None
    audience_size: int | None
    responses_count: int


class SurveyDetailOut(SurveyOut):
    building_ids: list[int]
    house_ids: list[int]
    questions: list[SurveyQuestionOut]


class SurveyPage(Schema):
    items: list[SurveyOut]
    next_cursor: str | None


class MySurveyOut(Schema):
    survey: SurveyOut
    houses: list[int]
    pending_houses: list[int]
    can_answer: bool
    answered: bool
    results_public: bool


class SurveyAnswerIn(Schema):
    question_id: int
    value: int | list[int] | str | None = Field(None, description="Option index (single), option indexes "
                                                                  "(multiple), 1-5 (scale), 0-10 (NPS) or text.")


class SurveyResponseIn(Schema):
    answers: list[SurveyAnswerIn]
    house_id: int | None = Field(None, description="Owners' surveys: the house answered for (default: the first "
                                                    "of yours not answered yet).")


class SurveyResponseOut(Schema):
    survey_id: int
    recorded: bool = True


class SurveyOptionOut(Schema):
    label: str
    count: int
    share: Decimal | None


class SurveyTextOut(Schema):
    text: str
    name: str | None


class SurveyQuestionResultOut(Schema):
    id: int
    position: int
    key: str
    kind: str
    text: str
    answered: int
    options: list[SurveyOptionOut] = Field(default_factory=list)
    average: Decimal | None = None
    nps: Decimal | None = None
    promoters: int | None = None
    passives: int | None = None
    detractors: int | None = None
    texts: list[SurveyTextOut] = Field(default_factory=list)


class SurveyResultsOut(Schema):
    survey_id: int
    responses: int
    audience_size: int | None
    response_rate: Decimal | None
    questions: list[SurveyQuestionResultOut]


class SurveyScheduleIn(Schema):
    template_id: int
    name: str = ""
    recurrence: str = "quarterly"
    open_days: int = 30


class SurveyScheduleOut(Schema):
    id: int
    name: str
    template_id: int
    recurrence: str
    open_days: int
    active: bool


def _detail(survey) -> dict[str, Any]:
    return {**SurveyOut.from_orm(survey).dict(), "building_ids": [b.pk for b in survey.buildings.all()],
            "house_ids": [h.pk for h in survey.houses.all()], "questions": list(survey.questions.all())}


@router.get("/estates/{estate_id}/surveys", response=SurveyPage, summary="Surveys (staff and committee)")
def survey_list(request, estate_id: int, status: str | None = None, templates: bool = False,
                cursor: str | None = None, limit: int = 50):
    actor = api_actor(request, estate_id)
    page = paginate(selectors.survey_list(actor=actor, status=status, templates=templates), cursor=cursor,
                    limit=limit, descending=True)
    return {"items": page.items, "next_cursor": page.next_cursor}


@router.post("/estates/{estate_id}/surveys", response={201: SurveyDetailOut}, summary="Create a draft survey")
def survey_create(request, estate_id: int, payload: SurveyIn):
    actor = api_actor(request, estate_id)
    data = payload.dict()
    data["questions"] = [q for q in data["questions"]]
    survey = builder.survey_create(actor=actor, **data)
    return Status(201, _detail(survey))


@router.get("/estates/{estate_id}/surveys/{survey_id}", response=SurveyDetailOut, summary="A survey")
def survey_detail(request, estate_id: int, survey_id: int):
    """Staff see every survey; a resident sees a published survey that asks them (else 404)."""
    actor = api_actor(request, estate_id)
    if builder.SurveyPolicy.can(actor, "manage"):
        survey = builder.survey_get_for_actor(actor=actor, survey_id=survey_id)
    else:
        survey, _houses = survey_for_resident(actor=actor, survey_id=survey_id)
    return _detail(survey)


@router.put("/estates/{estate_id}/surveys/{survey_id}", response=SurveyDetailOut, summary="Change a draft")
def survey_update(request, estate_id: int, survey_id: int, payload: SurveyIn):
    actor = api_actor(request, estate_id)
    data = payload.dict(exclude={"idempotency_key", "is_template"})
    return _detail(builder.survey_update(actor=actor, survey_id=survey_id, **data))


@router.post("/estates/{estate_id}/surveys/{survey_id}/publish", response=SurveyOut, summary="Publish")
def survey_publish(request, estate_id: int, survey_id: int):
    """Freezes the questions and the audience, notifies the audience. Idempotent."""
    return builder.survey_publish(actor=api_actor(request, estate_id), survey_id=survey_id)


@router.post("/estates/{estate_id}/surveys/{survey_id}/close", response=SurveyOut, summary="Close")
def survey_close(request, estate_id: int, survey_id: int):
    return builder.survey_close(actor=api_actor(request, estate_id), survey_id=survey_id)


@router.post("/estates/{estate_id}/surveys/{survey_id}/responses", response={201: SurveyResponseOut},
             summary="Answer a survey (residents)")
def survey_answer(request, estate_id: int, survey_id: int, payload: SurveyResponseIn):
    """One answer per house (owners' surveys) or per person (all residents): a second is 409 already_answered."""
    actor = api_actor(request, estate_id)
    responses.response_submit(actor=actor, survey_id=survey_id, house_id=payload.house_id,
                              answers={a.question_id: a.value for a in payload.answers})
    return Status(201, {"survey_id": survey_id})


@router.get("/estates/{estate_id}/surveys/{survey_id}/results", response=SurveyResultsOut, summary="Results")
def survey_results(request, estate_id: int, survey_id: int):
    """Staff and committee always; residents when the survey's results are public. Names of free-text answers
    of named surveys only for staff and committee."""
    data = results.survey_results(actor=api_actor(request, estate_id), survey_id=survey_id)
    return {**data, "survey_id": data["survey"].pk}


@router.get("/estates/{estate_id}/surveys/{survey_id}/export", summary="Results as .xlsx",
            response={200: None})
def survey_export(request, estate_id: int, survey_id: int):
    content, name = exports.survey_workbook(actor=api_actor(request, estate_id), survey_id=survey_id)
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@router.get("/estates/{estate_id}/my/surveys", response=list[MySurveyOut], summary="My surveys (residents)")
def my_surveys(request, estate_id: int):
    return selectors.my_surveys(actor=api_actor(request, estate_id))


class SurveyScheduleActiveIn(Schema):
    active: bool = Field(description="false pauses the schedule, true resumes it")


@router.get("/estates/{estate_id}/survey-schedules", response=list[SurveyScheduleOut], summary="Schedules")
def schedule_list(request, estate_id: int):
    """The estate's recurring surveys (staff and committee)."""
    return list(schedule.schedule_list(actor=api_actor(request, estate_id)))


@router.patch("/estates/{estate_id}/survey-schedules/{schedule_id}", response=SurveyScheduleOut,
              summary="Pause or resume a schedule")
def schedule_set_active(request, estate_id: int, schedule_id: int, payload: SurveyScheduleActiveIn):
    """A paused schedule publishes nothing; resumed, it publishes the current period's survey if that period has
    none yet. Sending the state it already has changes nothing."""
    return schedule.schedule_set_active(actor=api_actor(request, estate_id), schedule_id=schedule_id,
                                        active=payload.active)


@router.post("/estates/{estate_id}/survey-schedules", response={201: SurveyScheduleOut}, summary="Schedule a template")
def schedule_create(request, estate_id: int, payload: SurveyScheduleIn):
    """Publishes a copy of the template at the start of each quarter (or month), once per period."""
    return Status(201, schedule.schedule_create(actor=api_actor(request, estate_id), **payload.dict()))
