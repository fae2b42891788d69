"""Helpers for the lifecycle table tests: a machine and a written lifecycle, compared."""

from service.kit.lifecycle import StateMachine

Lifecycle = dict[str, tuple[set[str], str]]


def moves_of(machine: StateMachine) -> Lifecycle:
    """The machine's moves (births, which have no source state, left out)."""
    return {a: (set(t.sources), t.target) for a, t in machine.transitions.items() if t.sources}


def moves(lifecycle: Lifecycle) -> Lifecycle:
    return {a: row for a, row in lifecycle.items() if row[0]}
