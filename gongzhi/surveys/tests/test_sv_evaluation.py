"""The quarterly evaluation: the formulas at their boundaries, the computation from the quarter's survey and the
ticket figures, comments, publication (frozen, a notice to the owners), corrections, and who may do what."""

import datetime
from decimal import Decimal
from fractions import Fraction

import pytest
from django.utils import timezone

from gongzhi.core.errors import Conflict, DomainError, Forbidden, NotFound
from gongzhi.notices.models import Notice
from gongzhi.surveys import builder, evaluation, responses, scoring
from gongzhi.surveys.choices import EvaluationStatus
from gongzhi.surveys.exact import to_decimal
from gongzhi.tickets.metrics import Tally
from gongzhi.tickets.tests.factories import CategoryFactory, TicketFactory
from gongzhi.tickets.tests.factories_feedback import RatingFactory

from .conftest import qids

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("total", "count", "score"), [
    (1, 1, "0.00"), (5, 1, "100.00"), (3, 1, "50.00"), (13, 3, "83.33"), (9, 2, "87.50"), (0, 0, None)])
def test_a_scale_average_maps_linearly_to_0_100(total, count, score):
    assert to_decimal(scoring.scale_score(total, count), 2) == (None if score is None else Decimal(score))


@pytest.mark.parametrize(("promoters", "detractors", "count", "score"), [
    (0, 3, 3, "0.00"), (3, 0, 3, "100.00"), (1, 1, 3, "50.00"), (2, 1, 3, "66.67"), (0, 0, 0, None)])
def test_nps_maps_to_0_100(promoters, detractors, count, score):
    assert to_decimal(scoring.nps_score(promoters, detractors, count), 2) == (None if score is None else
                                                                              Decimal(score))


def test_ticket_measures_at_their_boundaries():
    assert scoring.ticket_measure("sla", Tally(resolution_targeted=3, within_sla=3))[0] == 100
    assert scoring.ticket_measure("sla", Tally(resolution_targeted=3, within_sla=0))[0] == 0
    assert scoring.ticket_measure("sla", Tally(resolution_targeted=3, within_sla=2))[0] == Fraction(200, 3)
    assert scoring.ticket_measure("sla", Tally())[0] is None
    assert scoring.ticket_measure("rating", Tally(rating_total=5, rating_count=1))[0] == 100
    assert scoring.ticket_measure("reopen", Tally(resolved=4, reopened=1))[0] == 75
    assert scoring.ticket_measure("reopen", Tally(resolved=0))[0] is None


def test_weights_leave_out_measures_without_data():
    assert scoring.weighted([(1, Fraction(80)), (1, None)]) == 80
    assert scoring.weighted([(3, Fraction(100)), (1, Fraction(0))]) == 75
    assert scoring.weighted([(1, None)]) is None
    assert scoring.weighted([(0, Fraction(50)), (1, Fraction(10))]) == 10


Q3 = (2026, 3)


def at(month, day):
    return timezone.make_aware(datetime.datetime(2026, month, day, 10))


@pytest.fixture
def quarter(world):
    """Q3 2026: a satisfaction survey answered by two owners (repair speed 5 and 4, NPS 10 and 6) and three repair
    tickets resolved (2 within SLA, 1 reopened, ratings 5 and 3)."""
    survey = builder.survey_create(actor=world.manager, title="Q3", opens_at=at(7, 1), questions=[
        {"kind": "scale", "text": "Repair speed", "key": "repair_speed"},
        {"kind": "nps", "text": "Recommend?", "key": "nps"}])
    builder.survey_publish(actor=world.manager, survey_id=survey.pk)
    ids = qids(survey)
    responses.response_submit(actor=world.owner, survey_id=survey.pk, answers={ids["repair_speed"]: 5, ids["nps"]: 10})
    responses.response_submit(actor=world.owner2, survey_id=survey.pk, answers={ids["repair_speed"]: 4, ids["nps"]: 6})
    category = CategoryFactory(estate=world.estate, name="Plumbing")
    for n, (breached, reopened) in enumerate([(False, 0), (False, 1), (True, 0)]):
        ticket = TicketFactory(house=world.houses[0], category=category, status="closed", submitted_at=at(8, 1 + n),
                               resolved_at=at(8, 2 + n), resolution_minutes=1440, resolution_breached=breached,
                               reopen_count=reopened)
        if n < 2:
            RatingFactory(ticket=ticket, score=5 if n == 0 else 3, rated_at=at(8, 3 + n))
    evaluation.contract_item_save(actor=world.chair, name="Repairs", weight=3, question_key="repair_speed",
                                  ticket_measure="sla", ticket_category_id=category.pk)
    evaluation.contract_item_save(actor=world.chair, name="Service", weight=1, question_key="nps",
                                  ticket_measure="rating")
    evaluation.contract_item_save(actor=world.chair, name="Facilities", weight=1, ticket_measure="reopen")
    return survey


def test_the_committee_computes_the_quarter_exactly(quarter, world):
    result = evaluation.evaluation_compute(actor=world.chair, year=2026, quarter=3)
    items = {i.name: i for i in result.items.all()}
    # Repairs: survey (4.5 − 1) / 4 × 100 = 87.5; SLA 2/3 × 100 = 66.67; mean (87.5 + 66.666…) / 2 = 77.083… → 77.08
    assert items["Repairs"].score == Decimal("77.08")
    assert items["Repairs"].inputs["survey"]["average"] == "4.50"
    assert items["Repairs"].inputs["tickets"]["within_sla"] == 2
    # Service: NPS (1 − 1) / 2 → 0 → 50; rating average 4 → 75; mean 62.5
    assert items["Service"].score == Decimal("62.50")
    # Facilities: 1 of 3 reopened → 66.67
    assert items["Facilities"].score == Decimal("66.67")
    # Overall: (3 × 77.083… + 62.5 + 66.666…) / 5 = 72.08 (exact fractions, one rounding)
    exact = (3 * (Fraction(175, 2) + Fraction(200, 3)) / 2 + Fraction(125, 2) + Fraction(200, 3)) / 5
    assert result.score == to_decimal(exact, 2) == Decimal("72.08")
    assert result.inputs["survey"]["response_rate"] == "66.7"
    assert result.survey_id == quarter.pk


def test_publishing_freezes_it_and_tells_the_owners(quarter, world):
    draft = evaluation.evaluation_compute(actor=world.chair, year=2026, quarter=3)
    item = draft.items.first()
    evaluation.evaluation_comment(actor=world.committee, evaluation_id=draft.pk, comment="Better",
                                  item_comments={item.pk: "Fast repairs"})
    published = evaluation.evaluation_publish(actor=world.chair, evaluation_id=draft.pk)
    assert published.status == EvaluationStatus.PUBLISHED
    notice = Notice.objects.get(pk=published.notice_id)
    assert notice.status == "published" and "72.08" in notice.body
    with pytest.raises(Conflict):
        evaluation.evaluation_comment(actor=world.chair, evaluation_id=draft.pk, comment="x")
    with pytest.raises(Conflict):
        evaluation.evaluation_compute(actor=world.chair, year=2026, quarter=3)
    # An owner reads it; a tenant does not
    assert evaluation.evaluation_detail(actor=world.owner, evaluation_id=draft.pk).pk == draft.pk
    with pytest.raises(Forbidden):
        evaluation.evaluation_detail(actor=world.tenant, evaluation_id=draft.pk)


def test_a_correction_is_a_new_revision_that_supersedes(quarter, world):
    first = evaluation.evaluation_publish(actor=world.chair, evaluation_id=evaluation.evaluation_compute(
        actor=world.chair, year=2026, quarter=3).pk)
    correction = evaluation.evaluation_correct(actor=world.chair, evaluation_id=first.pk)
    assert correction.revision == 2 and correction.status == EvaluationStatus.DRAFT
    assert evaluation.evaluation_correct(actor=world.chair, evaluation_id=first.pk).pk == correction.pk
    evaluation.evaluation_publish(actor=world.chair, evaluation_id=correction.pk)
    first.refresh_from_db()
    assert first.status == EvaluationStatus.SUPERSEDED
    assert [e.revision for e in evaluation.evaluation_list(actor=world.owner)] == [2]


def test_only_the_committee_writes_and_owners_never_see_drafts(quarter, world):
    for actor in (world.manager, world.service, world.owner):
        with pytest.raises(Forbidden):
            evaluation.evaluation_compute(actor=actor, year=2026, quarter=3)
        with pytest.raises(Forbidden):
            evaluation.contract_item_save(actor=actor, name="X", question_key="x")
    draft = evaluation.evaluation_compute(actor=world.chair, year=2026, quarter=3)
    assert evaluation.evaluation_detail(actor=world.manager, evaluation_id=draft.pk).pk == draft.pk
    with pytest.raises(NotFound):
        evaluation.evaluation_detail(actor=world.owner, evaluation_id=draft.pk)


def test_bad_quarters_and_items_are_refused(world):
    with pytest.raises(DomainError) as caught:
        evaluation.evaluation_compute(actor=world.chair, year=2026, quarter=5)
    assert caught.value.detail["field"] == "quarter"
    with pytest.raises(DomainError) as caught:
        evaluation.evaluation_compute(actor=world.chair, year=2099, quarter=1)
    assert caught.value.detail["field"] == "quarter"
    with pytest.raises(DomainError) as caught:
        evaluation.contract_item_save(actor=world.chair, name="Nothing")
    assert caught.value.detail["field"] == "question_key"
    with pytest.raises(DomainError) as caught:
        evaluation.contract_item_save(actor=world.chair, name="X", question_key="x", ticket_measure="speed")
    assert caught.value.detail["field"] == "ticket_measure"


def test_a_quarter_without_data_has_no_score(world):
    evaluation.contract_item_save(actor=world.chair, name="Cleaning", question_key="cleanliness")
    result = evaluation.evaluation_compute(actor=world.chair, year=2026, quarter=1)
    assert result.score is None and result.items.get().score is None
