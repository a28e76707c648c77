"""Questionnaires and the owners' committee's quarterly evaluation of the property company.

Anonymity (docs/governance/surveys.md): who took part (``Participation``: survey, house, user, time) is stored
apart from what was answered (``Response`` and its ``Answer`` rows). A response of an anonymous survey carries no
user, no house, no timestamp and a random UUID as its key, so no column links it to a participation. Both tables
are append-only (database triggers, migration 0001)."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gongzhi.core.tenancy import TenantModel

from .choices import Audience, EvaluationStatus, QuestionKind, Recurrence, SurveyStatus, Target, TicketMeasure

SCORE = {"max_digits": 5, "decimal_places": 2}


class Survey(TenantModel):
    """A questionnaire. Draft → published (questions frozen) → closed. A template (``is_template``) is never
    published: a schedule publishes a copy of it each period."""

    policy = "gongzhi.surveys.policies.SurveyPolicy"

    title = models.CharField(_("title"), max_length=120)
    intro = models.TextField(_("introduction"), blank=True)
    status = models.CharField(_("status"), max_length=16, choices=SurveyStatus.choices, default=SurveyStatus.DRAFT)
    audience = models.CharField(_("audience"), max_length=16, choices=Audience.choices, default=Audience.OWNERS)
    target = models.CharField(_("target"), max_length=16, choices=Target.choices, default=Target.ALL)
    buildings = models.ManyToManyField("estate.Building", verbose_name=_("buildings"), blank=True,
                                       related_name="+")
    houses = models.ManyToManyField("estate.House", verbose_name=_("houses"), blank=True, related_name="+")
    anonymous = models.BooleanField(_("anonymous"), default=True)
    results_public = models.BooleanField(_("results public to residents"), default=False)
    is_template = models.BooleanField(_("template"), default=False)
    opens_at = models.DateTimeField(_("opens at"), null=True, blank=True)
    closes_at = models.DateTimeField(_("closes at"), null=True, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # Frozen at publication: the houses (owners' surveys) or people (all residents) the survey asks.
    audience_size = models.PositiveIntegerField(_("audience size"), null=True, blank=True)
    responses_count = models.PositiveIntegerField(_("responses"), default=0)
    schedule = models.ForeignKey("surveys.SurveySchedule", verbose_name=_("schedule"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="surveys")
    period_start = models.DateField(_("period start"), null=True, blank=True)
    idempotency_key = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")
        constraints = [
            # The schedule publishes exactly one survey per period, however often it runs.
            models.UniqueConstraint(fields=["schedule", "period_start"], name="survey_one_per_period"),
            models.UniqueConstraint(fields=["estate", "idempotency_key"], condition=~Q(idempotency_key=""),
                                    name="survey_idempotency_key"),
        ]
        indexes = [models.Index(fields=["estate", "status"], name="survey_estate_status")]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        now = timezone.now()
        return (self.status == SurveyStatus.PUBLISHED and (self.opens_at is None or self.opens_at <= now)
                and (self.closes_at is None or now < self.closes_at))


class Question(TenantModel):
    policy = "gongzhi.surveys.policies.SurveyPolicy"

    survey = models.ForeignKey(Survey, verbose_name=_("survey"), on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField(_("position"))
    # A stable key (e.g. "repair_speed") kept by every copy of a template: the evaluation finds its measure by it.
    key = models.SlugField(_("key"), max_length=40, blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=QuestionKind.choices)
    text = models.CharField(_("question"), max_length=300)
    required = models.BooleanField(_("required"), default=True)
    options = models.JSONField(_("options"), default=list, blank=True)
    max_choices = models.PositiveSmallIntegerField(_("at most this many choices"), null=True, blank=True)

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["survey", "position"], name="question_unique_position")]

    def __str__(self) -> str:
        return self.text


class Participation(TenantModel):
    """Who answered (append-only). ``unit_key`` is the unit of "one answer": ``h<house id>`` for owners' surveys,
    ``u<user id>`` otherwise; unique per survey."""

    policy = "gongzhi.surveys.policies.SurveyPolicy"

    survey = models.ForeignKey(Survey, on_delete=models.PROTECT, related_name="participations")
    unit_key = models.CharField(max_length=24)
    house = models.ForeignKey("estate.House", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                             related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["survey", "unit_key"], name="participation_one_answer")]


class Response(TenantModel):
    """What was answered (append-only). Random key, no time; respondent and house only on named surveys."""

    policy = "gongzhi.surveys.policies.SurveyPolicy"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    survey = models.ForeignKey(Survey, on_delete=models.PROTECT, related_name="responses")
    respondent = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    house = models.ForeignKey("estate.House", null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["id"]


class Answer(TenantModel):
    """One question's answer (append-only): ``value`` for single choice (option index), scale and NPS;
    ``choices`` (option indexes) for multiple choice; ``text`` for free text."""

    policy = "gongzhi.surveys.policies.SurveyPolicy"

    response = models.ForeignKey(Response, on_delete=models.PROTECT, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="answers")
    value = models.SmallIntegerField(null=True, blank=True)
    choices = models.JSONField(null=True, blank=True)
    text = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["question"], name="answer_question")]


class SurveySchedule(TenantModel):
    """Publishes a copy of ``template`` at the start of each period (gongzhi.surveys.tasks)."""

    policy = "gongzhi.surveys.policies.SurveyPolicy"

    name = models.CharField(_("name"), max_length=120)
    template = models.ForeignKey(Survey, verbose_name=_("template"), on_delete=models.PROTECT, related_name="+")
    recurrence = models.CharField(_("recurrence"), max_length=16, choices=Recurrence.choices,
                                  default=Recurrence.QUARTERLY)
    open_days = models.PositiveSmallIntegerField(_("open for (days)"), default=30)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("survey schedule")
        verbose_name_plural = _("survey schedules")

    def __str__(self) -> str:
        return self.name


class ContractItem(TenantModel):
    """An item of the service contract the committee evaluates, with its weight and the measures that feed it:
    a question of the quarter's satisfaction survey (by its stable key) and/or a ticket metric (of one ticket
    category, or all)."""

    policy = "gongzhi.surveys.policies.EvaluationPolicy"

    name = models.CharField(_("name"), max_length=60)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    weight = models.PositiveSmallIntegerField(_("weight"), default=1)
    question_key = models.SlugField(_("survey question key"), max_length=40, blank=True)
    survey_weight = models.PositiveSmallIntegerField(_("weight of the survey measure"), default=1)
    ticket_measure = models.CharField(_("ticket measure"), max_length=16, choices=TicketMeasure.choices, blank=True,
                                      default=TicketMeasure.NONE)
    ticket_category = models.ForeignKey("tickets.Category", verbose_name=_("ticket category"), null=True,
                                        blank=True, on_delete=models.PROTECT, related_name="+")
    ticket_weight = models.PositiveSmallIntegerField(_("weight of the ticket measure"), default=1)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("service contract item")
        verbose_name_plural = _("service contract items")
        ordering = ["position", "pk"]
        constraints = [models.UniqueConstraint(fields=["estate", "name"], name="contract_item_unique_name")]

    def __str__(self) -> str:
        return self.name


class Evaluation(TenantModel):
    """One quarter's evaluation. Draft → published (frozen); a correction is a new revision, which supersedes the
    published one when it is published."""

    policy = "gongzhi.surveys.policies.EvaluationPolicy"

    year = models.PositiveSmallIntegerField(_("year"))
    quarter = models.PositiveSmallIntegerField(_("quarter"))
    revision = models.PositiveSmallIntegerField(_("revision"), default=1)
    status = models.CharField(_("status"), max_length=16, choices=EvaluationStatus.choices,
                              default=EvaluationStatus.DRAFT)
    survey = models.ForeignKey(Survey, verbose_name=_("satisfaction survey"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="+")
    score = models.DecimalField(_("overall score"), null=True, blank=True, **SCORE)
    inputs = models.JSONField(_("inputs"), default=dict, blank=True)
    comment = models.TextField(_("committee's comment"), blank=True)
    computed_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    notice_id = models.PositiveIntegerField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("evaluation")
        verbose_name_plural = _("evaluations")
        ordering = ["-year", "-quarter", "-revision"]
        constraints = [
            models.UniqueConstraint(fields=["estate", "year", "quarter", "revision"], name="evaluation_revision"),
            models.CheckConstraint(condition=Q(quarter__gte=1, quarter__lte=4), name="evaluation_quarter"),
        ]

    def __str__(self) -> str:
        return f"{self.year} Q{self.quarter}"


class EvaluationItem(TenantModel):
    policy = "gongzhi.surveys.policies.EvaluationPolicy"

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="items")
    contract_item = models.ForeignKey(ContractItem, null=True, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=60)
    position = models.PositiveSmallIntegerField(default=0)
    weight = models.PositiveSmallIntegerField(default=1)
    score = models.DecimalField(null=True, blank=True, **SCORE)
    inputs = models.JSONField(default=dict, blank=True)
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["position", "pk"]
