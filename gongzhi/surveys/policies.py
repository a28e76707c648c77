"""Who may see and do what in surveys and evaluations (DESIGN.md habit 5).

- Surveys: building, publishing, closing, results, export: the property manager, customer service and the owners'
  committee. Whoever lives in a targeted house answers (the home decides, not the role: a guard who lives in the
  estate is asked too; owners-only surveys ask the owners), and residents read the results a survey makes public.
- The quarterly evaluation of the property company: the owners' committee writes it (it oversees the company's
  service, 民法典 art. 943 and the service contract); owners, the committee and the manager read the published
  ones (the committee and the manager also the drafts)."""

from django.db.models import QuerySet

from gongzhi.accounts.choices import COMMITTEE_ROLES, RESIDENT_ROLES, Role
from gongzhi.core.access import Actor

from .choices import EvaluationStatus, SurveyStatus

SURVEY_WRITE_ROLES = COMMITTEE_ROLES | {Role.MANAGER, Role.CUSTOMER_SERVICE}
EVALUATION_WRITE_ROLES = COMMITTEE_ROLES
EVALUATION_DRAFT_ROLES = COMMITTEE_ROLES | {Role.MANAGER}
EVALUATION_READ_ROLES = EVALUATION_DRAFT_ROLES | {Role.OWNER}


class SurveyPolicy:
    @staticmethod
    def can(actor: Actor, action: str, obj=None) -> bool:
        if action in {"manage", "results", "export"}:
            return actor.has_any(SURVEY_WRITE_ROLES)
        if action == "answer":  # any member; the survey's targeting checks the member's current residency
            return bool(actor.roles)
        if action == "public_results":
            return actor.has_any(RESIDENT_ROLES | SURVEY_WRITE_ROLES)
        return False

    @staticmethod
    def sees_names(actor: Actor) -> bool:
        """Named surveys show respondents' names to the staff and committee only, never to other residents."""
        return actor.has_any(SURVEY_WRITE_ROLES)

    @classmethod
    def scope(cls, actor: Actor, qs: QuerySet, action: str = "view") -> QuerySet:
        if cls.can(actor, "manage"):
            return qs
        if action == "answer" or (action == "view" and actor.has_any(RESIDENT_ROLES)):
            return qs.filter(is_template=False).exclude(status=SurveyStatus.DRAFT)
        return qs.none()


class EvaluationPolicy:
    @staticmethod
    def can(actor: Actor, action: str, obj=None) -> bool:
        if action == "write":
            return actor.has_any(EVALUATION_WRITE_ROLES)
        if action == "view":
            return actor.has_any(EVALUATION_READ_ROLES)
        if action == "view_drafts":
            return actor.has_any(EVALUATION_DRAFT_ROLES)
        return False

    @classmethod
    def scope(cls, actor: Actor, qs: QuerySet, action: str = "view") -> QuerySet:
        if cls.can(actor, "view_drafts"):
            return qs
        if cls.can(actor, "view"):
            if qs.model.__name__ == "Evaluation":
                return qs.exclude(status=EvaluationStatus.DRAFT)
            return qs
        return qs.none()
