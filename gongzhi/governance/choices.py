"""The vocabulary of owners' votes (DOMAIN.md "Owners' votes"; Civil Code art. 278)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Matter(models.TextChoices):
    """The nine matters owners decide jointly (民法典 art. 278), in the article's order."""

    ASSEMBLY_RULES = "assembly_rules", _("(1) Assembly rules")
    COVENANT = "covenant", _("(2) Estate covenant")
    COMMITTEE = "committee", _("(3) Electing or replacing the owners' committee")
    COMPANY = "company", _("(4) Hiring or dismissing the property company")
    FUND_USE = "fund_use", _("(5) Using the maintenance fund")
    FUND_RAISE = "fund_raise", _("(6) Raising the maintenance fund")
    REBUILD = "rebuild", _("(7) Rebuilding or reconstructing buildings and facilities")
    COMMON_USE = "common_use", _("(8) Changing the use of common parts or using them for business")
    OTHER = "other", _("(9) Other major matters")


# Matters (6), (7), (8) need at least 3/4 of the participating area and headcount; the others more than 1/2.
SPECIAL_MATTERS = frozenset({Matter.FUND_RAISE, Matter.REBUILD, Matter.COMMON_USE})


class BallotForm(models.TextChoices):
    YES_NO = "yes_no", _("Yes / no / abstain")
    CHOOSE_ONE = "choose_one", _("Choose one of several")
    ELECTION = "election", _("Election of several seats")


class Choice(models.TextChoices):
    """An answer on a yes / no / abstain item."""

    FOR = "for", _("For")
    AGAINST = "against", _("Against")
    ABSTAIN = "abstain", _("Abstain")


class VoteStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed, being counted")
    PUBLISHED = "published", _("Result published")
    CANCELLED = "cancelled", _("Cancelled")


class VoteKind(models.TextChoices):
    ASSEMBLY = "assembly", _("Owners' assembly")
    TEMPORARY = "temporary", _("Temporary owners' assembly")
    FUND = "fund", _("Maintenance-fund project (its charge scope votes)")


class Channel(models.TextChoices):
    ONLINE = "online", _("Online")
    WRITTEN = "written", _("Written ballot")
    ONSITE = "onsite", _("On site")


class HeadKind(models.TextChoices):
    """How a house's owners make up a headcount unit (DOMAIN.md: one house counts as one; an owner of several houses
    once; the developer's unsold or undelivered houses together once; co-owners of one house once)."""

    OWNERS = "owners", _("Its owners")
    DEVELOPER = "developer", _("The developer")
    UNREGISTERED = "unregistered", _("Owner not registered")
