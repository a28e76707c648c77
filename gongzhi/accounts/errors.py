from django.utils.translation import gettext_lazy as _

INVALID_CREDENTIALS = _("The mobile number or password is wrong.")
LOCKED_OUT = _("Too many failed sign-ins. This account is locked for %(minutes)s minutes; try again later.")
TOKEN_NEEDS_ESTATE = _("A token must be scoped to at least one estate you belong to.")
TOKEN_SCOPE_WIDER = _("A token may only create tokens for the estates it is itself scoped to.")
TOKEN_OUTLIVES = _("A token may only create tokens that expire no later than itself.")
TOKEN_EXPIRY_RANGE = _("A token may last between 1 and %(max_days)s days.")
ROLE_UNKNOWN = _("Unknown role.")
MEMBERSHIP_EXISTS = _("This user already holds that role in this estate.")
WRONG_PASSWORD = _("The current password is wrong.")
SAME_PASSWORD = _("The new password must differ from the current one.")
