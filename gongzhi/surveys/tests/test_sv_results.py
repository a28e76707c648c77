"""Results arithmetic: counts and shares, exact averages, NPS, free text (names only to staff on named surveys),
the response rate; who may see them; the .xlsx export (no identities on anonymous surveys)."""

import io
from decimal import Decimal
from fractions import Fraction

import pytest
from openpyxl import load_workbook

from gongzhi.core.errors import Forbidden
from gongzhi.surveys import exports, responses, results
from gongzhi.surveys.exact import to_decimal

from .conftest import qids

pytestmark = pytest.mark.django_db


def answer(survey, actor, *, scale, nps, gate=0, improve=(0,), text="", house=None):
    ids = qids(survey)
    responses.response_submit(actor=actor, survey_id=survey.pk, house_id=house, answers={
        ids["gate"]: gate, ids["improve"]: list(improve), ids["repair_speed"]: scale, ids["nps"]: nps,
        ids["comments"]: text})


def by_key(data, key):
    return next(q for q in data["questions"] if q["key"] == key)


def test_the_arithmetic_is_exact(make_survey, world):
    # Given three answers: scales 5, 4, 4 (average 13/3), NPS 10, 8, 3 (1 promoter, 1 detractor)
    survey = make_survey(anonymous=False)
    answer(survey, world.owner, scale=5, nps=10, gate=0, improve=(0, 1), text="Great")
    answer(survey, world.owner, scale=4, nps=8, gate=1, improve=(1,))
    answer(survey, world.owner2, scale=4, nps=3, gate=1, improve=(1, 2), text="Slow")
    data = results.survey_results(actor=world.manager, survey_id=survey.pk)
    # Then the average is 4.33 (13/3 rounded half up once), NPS is (1 − 1) / 3 = 0.0
    assert by_key(data, "repair_speed")["average"] == Decimal("4.33")
    nps = by_key(data, "nps")
    assert (nps["promoters"], nps["passives"], nps["detractors"], nps["nps"]) == (1, 1, 1, Decimal("0.0"))
    # and shares are of those who answered the question: gate North 1/3 = 33.3 %, South 66.7 %
    assert [(o["count"], o["share"]) for o in by_key(data, "gate")["options"]] == [
        (1, Decimal("33.3")), (2, Decimal("66.7"))]
    # multiple choice: each option over the respondents, Security picked by all three
    assert [o["count"] for o in by_key(data, "improve")["options"]] == [1, 3, 1]
    assert by_key(data, "improve")["options"][1]["share"] == Decimal("100.0")
    # the response rate: 3 of the 3 houses with an owner
    assert (data["responses"], data["audience_size"], data["response_rate"]) == (3, 3, Decimal("100.0"))
    # free text of a named survey: names for staff
    texts = by_key(data, "comments")["texts"]
    assert {t["text"] for t in texts} == {"Great", "Slow"} and all(t["name"] is not None for t in texts)


def test_nps_extremes_and_rounding():
    from collections import Counter

    assert results.nps_of(Counter({10: 2}))["nps"] == Decimal("100.0")
    assert results.nps_of(Counter({0: 1, 6: 1}))["nps"] == Decimal("-100.0")
    assert results.nps_of(Counter({9: 1, 7: 2}))["nps"] == Decimal("33.3")
    assert results.nps_of(Counter({5: 2, 9: 1}))["nps"] == Decimal("-33.3")
    assert results.nps_of(Counter())["nps"] is None
    assert to_decimal(Fraction(1, 8), 2) == Decimal("0.13")
    assert to_decimal(Fraction(-1, 8), 2) == Decimal("-0.13")
    assert to_decimal(Fraction(2, 3), 2) == Decimal("0.67")


def test_residents_see_results_only_when_public(make_survey, world):
    private = make_survey()
    with pytest.raises(Forbidden):
        results.survey_results(actor=world.owner, survey_id=private.pk)
    public = make_survey(results_public=True, anonymous=False)
    answer(public, world.owner2, scale=3, nps=7, text="Hello")
    data = results.survey_results(actor=world.owner, survey_id=public.pk)
    # a named survey shows no names to a resident
    assert by_key(data, "comments")["texts"] == [{"text": "Hello", "name": None}]


def test_the_export_of_an_anonymous_survey_has_no_identities(make_survey, world):
    survey = make_survey(anonymous=True)
    answer(survey, world.owner, scale=5, nps=10, text="Nice")
    content, _name = exports.survey_workbook(actor=world.manager, survey_id=survey.pk)
    book = load_workbook(io.BytesIO(content))
    rows = list(book.worksheets[1].values)
    assert rows[0][0].startswith("1.") and len(rows) == 2
    flat = " ".join(str(c) for row in rows for c in row)
    assert world.owner.user.name not in flat and "101" not in flat
    with pytest.raises(Forbidden):
        exports.survey_workbook(actor=world.owner, survey_id=survey.pk)


def test_the_export_of_a_named_survey_names_the_respondent(make_survey, world):
    survey = make_survey(anonymous=False)
    answer(survey, world.owner2, scale=2, nps=1, gate=1, improve=(2,))
    content, _name = exports.survey_workbook(actor=world.chair, survey_id=survey.pk)
    rows = list(load_workbook(io.BytesIO(content)).worksheets[1].values)
    assert rows[1][0] == world.owner2.user.name and rows[1][2] == "South"
