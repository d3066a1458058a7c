"""The month rota: one leader on duty each working day, quotas first, then fair, spread out."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from math import inf
from types import MappingProxyType

NOBODY_ON_DUTY: Mapping[date, int] = MappingProxyType({})


@dataclass(frozen=True)
class PoolLeader:
    """A leader the rota may put on duty, with the month's quota and the days they cannot take."""

    leader_id: int
    quota: int  # days this leader must be on duty in the month (0 allowed)
    busy_days: frozenset[date] = frozenset()  # booked elsewhere, on leave


@dataclass(frozen=True)
class RotaProposal:
    """The rota to show the clerk: who takes which day, and what could not be satisfied."""

    assignments: dict[date, int]  # working day -> leader_id, for every day that could be filled
    unfilled_days: tuple[date, ...]  # working days on which every leader in the pool is busy
    unmet_quotas: dict[int, int]  # leader_id -> days still missing, only leaders short of quota

    def days_of(self, leader_id: int) -> list[date]:
        """The days this proposal gives one leader, in order (days already on duty not included)."""
        return sorted(day for day, who in self.assignments.items() if who == leader_id)


@dataclass
class _Load:
    """One pool leader's duties while the rota is built, as positions in the month's timeline."""

    leader: PoolLeader
    pool_order: int
    duties: list[int] = field(default_factory=list)

    def quota_left(self) -> int:
        return max(self.leader.quota - len(self.duties), 0)

    def extra_days(self) -> int:
        return len(self.duties) - self.leader.quota

    def neighbours(self, here: int) -> int:
        """How many of this leader's duties sit right before or after position `here`."""
        return sum(abs(position - here) == 1 for position in self.duties)


def _rank(load: _Load, here: int, free_days_left: int) -> tuple:
    """Sort key: the best leader for the day at timeline position `here` comes first."""
    quota_left = load.quota_left()
    # Once every free day left is needed for the quota, passing over one loses it for good.
    must = quota_left > 0 and quota_left >= free_days_left
    distances = [abs(position - here) for position in load.duties]
    return (
        not must,
        1 in distances,  # back-to-back days only when nobody else is free
        load.extra_days(),  # below zero while short of the quota, so quotas come first
        -min(distances, default=inf),  # the longest since (or until) their own duty
        load.pool_order,
    )


def _even_out(
    loads: Mapping[int, _Load], assignments: dict[date, int], position_of: Mapping[date, int]
) -> None:
    """Hand days from leaders 2+ extra days ahead to free ones behind, back-to-back days last."""
    # The day-by-day walk cannot see the month's end coming: busy days late in the month, or a
    # pool of two, can leave someone behind. Each move narrows the spread, so the loop ends.
    while True:
        moves = [
            (taker.neighbours(position_of[day]), day, taker.pool_order, giver, taker)
            for day, giver_id in assignments.items()
            for giver in [loads[giver_id]]
            for taker in loads.values()
            if day not in taker.leader.busy_days
            and giver.extra_days() > 0  # never below their own quota
            and giver.extra_days() - taker.extra_days() >= 2
        ]
        if not moves:
            return
        _, day, _, giver, taker = min(moves, key=lambda move: move[:3])
        giver.duties.remove(position_of[day])
        taker.duties.append(position_of[day])
        assignments[day] = taker.leader.leader_id


def build_rota(
    working_days: Sequence[date],
    pool: Sequence[PoolLeader],
    already_on_duty: Mapping[date, int] = NOBODY_ON_DUTY,
) -> RotaProposal:
    """Propose a pool leader for each working day nobody is on duty yet; never raises.

    Days already on duty count towards their leader's quota and share, and are kept apart from
    the days proposed for the same leader. Ties go to the leader earlier in the pool.
    """
    timeline = sorted(set(working_days) | set(already_on_duty))
    position_of = {day: position for position, day in enumerate(timeline)}
    loads: dict[int, _Load] = {}
    for order, leader in enumerate(pool):
        loads.setdefault(leader.leader_id, _Load(leader, order))
    free_on = {
        day: [load for load in loads.values() if day not in load.leader.busy_days]
        for day in timeline
        if day not in already_on_duty
    }
    # A day only one leader can take is theirs from the start, so spacing sees it coming.
    settled = {day: free[0].leader.leader_id for day, free in free_on.items() if len(free) == 1}
    for day, leader_id in {**already_on_duty, **settled}.items():
        if leader_id in loads:
            loads[leader_id].duties.append(position_of[day])

    to_fill = [day for day, free in free_on.items() if len(free) > 1]
    walked = {}
    for index, day in enumerate(to_fill):

        def rank(load: _Load) -> tuple:
            free_days_left = sum(ahead not in load.leader.busy_days for ahead in to_fill[index:])
            return _rank(load, position_of[day], free_days_left)

        chosen = min(free_on[day], key=rank)
        chosen.duties.append(position_of[day])
        walked[day] = chosen.leader.leader_id
    _even_out(loads, walked, position_of)

    return RotaProposal(
        assignments=dict(sorted({**settled, **walked}.items())),
        unfilled_days=tuple(day for day, free in free_on.items() if not free),
        unmet_quotas={
            leader_id: load.quota_left() for leader_id, load in loads.items() if load.quota_left()
        },
    )
