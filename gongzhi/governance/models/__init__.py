from .votes import Ballot, Proxy, RollEntry, Vote, VoteDocument, VoteExtension, VoteItem, VoteOption

__all__ = ["Ballot", "Proxy", "RollEntry", "Vote", "VoteDocument", "VoteExtension", "VoteItem", "VoteOption"]
from .assembly import AssemblyRequest, AssemblySignature
from .council import ActionItem, AgendaItem, Attendee, Decision, Meeting, Proposal, ProposalCosign

__all__ += ["ActionItem", "AgendaItem", "AssemblyRequest", "AssemblySignature", "Attendee", "Decision",
            "Meeting", "Proposal", "ProposalCosign"]
