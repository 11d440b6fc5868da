"""The proposal state machine: which changes of state are allowed, and where a decision comes to rest."""

from __future__ import annotations

from storage.tables import ProposalState as S

ALLOWED: dict[str, frozenset[str]] = {
    S.draft: frozenset({S.submitted, S.withdrawn}),
    S.submitted: frozenset({S.adopted, S.rejected, S.supplement, S.withdrawn}),
    # A supplement (보완) request waits for the proposers' answer, which puts the review back.
    S.supplement: frozenset({S.submitted, S.withdrawn}),
    S.adopted: frozenset({S.implementing, S.withdrawn}),
    S.implementing: frozenset({S.implemented}),
    S.rejected: frozenset({S.maturing}),
    S.maturing: frozenset({S.submitted}),
    S.implemented: frozenset(),
    S.withdrawn: frozenset(),
}

# A rejection is the decision recorded in the transition; the proposal itself goes on to
# mature, so it can gather ideas and supports and come back.
RESTING_STATE: dict[str, str] = {S.rejected: S.maturing}

# The order in which /proposals lists the states.
LISTING_ORDER: tuple[str, ...] = (
    S.draft,
    S.submitted,
    S.supplement,
    S.adopted,
    S.implementing,
    S.implemented,
    S.maturing,
    S.withdrawn,
)


def can_move(from_state: str, to_state: str) -> bool:
    """True when a proposal in `from_state` may change to `to_state`."""
    return to_state in ALLOWED.get(from_state, frozenset())


def resting_state(to_state: str) -> str:
    """The state a proposal is left in after a change to `to_state` (rejected → maturing)."""
    return RESTING_STATE.get(to_state, to_state)


def state_key(state: str) -> str:
    """The catalog key of a state's name (제출됨, 채택, 숙성 중 …)."""
    return f"proposal.state.{state}"


def bot_actor_key(from_state: str, to_state: str) -> str:
    """What a history names for a change the bot's own account recorded: the committee's revival, else the schedule."""
    return (
        "proposal.actor_committee"
        if (from_state, to_state) == (S.maturing, S.submitted)
        else "proposal.actor_automatic"
    )
