"""Schemas of the ratings, follow-up visits, quotes and repair charges API. Money is a string with 2 places
("260.70"): never a float."""

from datetime import datetime
from decimal import Decimal
from typing import Literal

from ninja import Field, Schema

from ..choices import (
    ChargeStatus,
    FollowUpOutcome,
    FollowUpReason,
    QuoteLineKind,
    QuoteStatus,
    TicketKind,
    TicketStatus,
)
from .schemas import UserRef


class RatingIn(Schema):
    score: int = Field(..., description="A whole number from 1 to 5 (anything else is 400 invalid_score).",
                       examples=[4])
    comment: str = Field("", description="At most 1000 characters; stored as typed.",
                         examples=["师傅很准时，修得也好"])


class RatingOut(Schema):
    id: int
    ticket_id: int
    round: int = Field(..., description="Which resolution of the ticket was rated: 0 the first, 1 after one "
                                        "reopening...")
    score: int
    comment: str
    rated_at: datetime
    rated_by: UserRef | None = Field(..., description="Hidden (null) for an anonymous complaint.")
    assignee: UserRef | None = Field(..., description="The technician whose work was rated.")


class SendBackIn(Schema):
    reason: str = Field(..., description="Why the household is not satisfied (required).",
                        examples=["还是漏水"])


class QuoteLineIn(Schema):
    kind: QuoteLineKind
    description: str = Field(..., examples=["角阀"])
    quantity: Decimal = Field(..., description="More than 0, at most 2 decimal places. Send a string.",
                              examples=["2"])
    unit_price: Decimal = Field(..., description="Yuan, at least 0, at most 2 decimal places. Send a string.",
                                examples=["35.50"])


class QuoteIn(Schema):
    lines: list[QuoteLineIn] = Field(..., description="1 to 50 lines.")
    note: str = Field("", examples=["换角阀和软管"])


class QuoteLineOut(Schema):
    id: int
    kind: QuoteLineKind
    description: str
    quantity: str = Field(..., examples=["2.00"])
    unit_price: str = Field(..., examples=["35.50"])
    amount: str = Field(..., description="quantity × unit price, rounded half up to the fen.", examples=["71.00"])


class ChargeRef(Schema):
    id: int
    amount: str = Field(..., examples=["260.70"])
    status: ChargeStatus
    billing_reference: str


class QuoteOut(Schema):
    id: int
    ticket_id: int
    status: QuoteStatus
    total: str = Field(..., description="Yuan: the sum of the rounded lines.", examples=["260.70"])
    note: str
    proposed_by: UserRef | None
    proposed_at: datetime
    decided_by: UserRef | None
    decided_at: datetime | None
    lines: list[QuoteLineOut]
    charge: ChargeRef | None = Field(..., description="Once the ticket is resolved with this quote accepted.")


class DecisionIn(Schema):
    accept: bool = Field(..., description="true accepts, false declines.")
    note: str = ""


class FollowUpTicket(Schema):
    id: int
    number: str
    title: str
    kind: TicketKind
    status: TicketStatus
    house: str | None = Field(..., description="Hidden (null) for an anonymous complaint below the manager.")


class FollowUpOut(Schema):
    id: int
    ticket: FollowUpTicket
    round: int
    reason: FollowUpReason
    created_at: datetime
    due_at: datetime | None
    overdue: bool
    rating_score: int | None = Field(..., description="The household's rating of this round, if any.")
    rating_comment: str | None
    done_by: UserRef | None
    done_at: datetime | None
    outcome: FollowUpOutcome | None
    note: str


class FollowUpPage(Schema):
    items: list[FollowUpOut]
    next_cursor: str | None


class FollowUpFilters(Schema):
    cursor: str | None = None
    limit: int = 50
    state: Literal["pending", "done", "all"] = Field(
        "pending", description="pending: oldest due first; done: newest first; all: oldest first.")
    reason: FollowUpReason | None = None
    outcome: FollowUpOutcome | None = None


class FollowUpRecordIn(Schema):
    outcome: FollowUpOutcome
    note: str = Field("", examples=["住户表示已经不漏了"])
    reopen: bool = Field(False, description="Only with outcome unsatisfied: reopen the ticket (within the estate's "
                                            "reopen window, else 409 reopen_window_passed).")


class ChargeOut(Schema):
    id: int
    ticket_id: int
    ticket_number: str
    quote_id: int
    house_id: int
    house: str = Field(..., examples=["3-2-1502"])
    amount: str = Field(..., examples=["260.70"])
    status: ChargeStatus
    created_at: datetime
    billing_reference: str


class ChargePage(Schema):
    items: list[ChargeOut]
    next_cursor: str | None


class ChargeFilters(Schema):
    cursor: str | None = None
    limit: int = 50
    status: ChargeStatus | None = None
