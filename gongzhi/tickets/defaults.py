"""The categories every estate starts with (issue 3). Response and resolution targets are in minutes."""

from django.utils.translation import gettext_noop

from .choices import Priority, TicketKind

# (name, kind, default priority, skill, response minutes, resolution minutes). Names are English msgids, stored
# translated into the language of whoever creates them; a leak or someone trapped in a lift is an emergency (5 min).
DEFAULT_CATEGORIES = [
    (gettext_noop("Plumbing"), TicketKind.REPAIR, Priority.EMERGENCY, "plumbing", 5, 24 * 60),
    (gettext_noop("Electrical"), TicketKind.REPAIR, Priority.HIGH, "electrical", 15, 24 * 60),
    (gettext_noop("Elevator"), TicketKind.REPAIR, Priority.EMERGENCY, "elevator", 5, 4 * 60),
    (gettext_noop("Doors and windows"), TicketKind.REPAIR, Priority.NORMAL, "carpentry", 30, 48 * 60),
    (gettext_noop("Public cleanliness"), TicketKind.COMPLAINT, Priority.NORMAL, "cleaning", 30, 24 * 60),
    (gettext_noop("Greening"), TicketKind.SUGGESTION, Priority.LOW, "greening", 60, 7 * 24 * 60),
    (gettext_noop("Noise"), TicketKind.COMPLAINT, Priority.NORMAL, "", 30, 24 * 60),
    (gettext_noop("Security"), TicketKind.COMPLAINT, Priority.HIGH, "security", 15, 24 * 60),
    (gettext_noop("Parking"), TicketKind.COMPLAINT, Priority.NORMAL, "", 30, 48 * 60),
    (gettext_noop("Other"), TicketKind.SUGGESTION, Priority.NORMAL, "", 60, 72 * 60),
]
