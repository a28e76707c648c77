"""What other parts of the app hear about a ticket's life. Sent inside the writing transaction: a receiver that
fails rolls the change back; side effects outside the database belong in ``transaction.on_commit``."""

from django.dispatch import Signal

# kwargs: ticket, actor (gongzhi.core.access.Actor, or None for the system), now
ticket_submitted = Signal()
# kwargs: ticket (after the change), action, from_status, actor (or None for the system), now
ticket_transitioned = Signal()
