from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """The roles of DESIGN.md §4. A person may hold several roles in several estates."""

    MANAGER = "manager", _("Property manager")
    CUSTOMER_SERVICE = "customer_service", _("Customer service")
    DISPATCHER = "dispatcher", _("Dispatcher")
    TECHNICIAN = "technician", _("Technician")
    GUARD = "guard", _("Security guard")
    CLEANER = "cleaner", _("Cleaner")
    FINANCE = "finance", _("Finance")
    COMMITTEE_CHAIR = "committee_chair", _("Owners' committee chair")
    COMMITTEE_MEMBER = "committee_member", _("Owners' committee member")
    RC_LIAISON = "rc_liaison", _("Residents' committee liaison")
    OWNER = "owner", _("Owner")
    FAMILY = "family", _("Family member")
    TENANT = "tenant", _("Tenant")
    VOLUNTEER = "volunteer", _("Volunteer")


STAFF_ROLES = frozenset({Role.MANAGER, Role.CUSTOMER_SERVICE, Role.DISPATCHER, Role.TECHNICIAN, Role.GUARD,
                         Role.CLEANER, Role.FINANCE})
COMMITTEE_ROLES = frozenset({Role.COMMITTEE_CHAIR, Role.COMMITTEE_MEMBER})
RESIDENT_ROLES = frozenset({Role.OWNER, Role.FAMILY, Role.TENANT})
# Roles that work with the whole registry (who lives where) as part of their job.
REGISTRY_READ_ROLES = frozenset({Role.MANAGER, Role.CUSTOMER_SERVICE, Role.DISPATCHER, Role.FINANCE, Role.GUARD})
REGISTRY_WRITE_ROLES = frozenset({Role.MANAGER, Role.CUSTOMER_SERVICE})
# Roles that need full mobile numbers (to call a resident back) and full ID numbers (contracts, filings).
MOBILE_FULL_ROLES = frozenset({Role.MANAGER, Role.CUSTOMER_SERVICE, Role.DISPATCHER, Role.FINANCE})
ID_NUMBER_FULL_ROLES = frozenset({Role.MANAGER})
MEMBERSHIP_ADMIN_ROLES = frozenset({Role.MANAGER})
AUDIT_READ_ROLES = frozenset({Role.MANAGER})
