"""priority-fencing-delay's conditions (the runtime digest, 7.3): the delay holds back the fencing
of a lost member with the highest priority, only in a partition without a majority."""

from __future__ import annotations

from vigil.controller.fencing import priority_delay_applies
from vigil.scheduler.transition import Allocation


def active(rsc: str, node: str, priority: int, role: str = "Started",
           kind: str = "primitive") -> Allocation:
    return Allocation(resource=rsc, kind=kind, parent=None, agent="ocf:heartbeat:Dummy",
                      current_nodes=(node,), current_role=role, next_node=node, next_role=role,
                      managed=True, failed=False, orphan=False, scores=(), fail_counts=(),
                      migration_threshold=1000000, target_role=None, priority=priority)


def test_two_nodes_split_the_one_with_the_service_is_fenced_later() -> None:
    allocations = [active("web", "n1", 10)]
    assert priority_delay_applies("n1", allocations, {"n2"}, 2)  # n2 waits before shooting n1
    assert not priority_delay_applies("n2", allocations, {"n1"}, 2)  # n1 shoots at once


def test_a_majority_does_not_wait() -> None:
    assert not priority_delay_applies("n1", [active("web", "n1", 10)], {"n2", "n3"}, 3)


def test_a_member_fenced_while_still_with_us_does_not_wait() -> None:
    assert not priority_delay_applies("n1", [active("web", "n1", 10)], {"n1"}, 2)


def test_equal_priorities_mean_no_delay() -> None:
    allocations = [active("a", "n1", 5), active("b", "n2", 5)]
    assert not priority_delay_applies("n1", allocations, {"n2"}, 2)
    assert not priority_delay_applies("n1", [active("a", "n1", 0)], {"n2"}, 2)


def test_a_promoted_instance_counts_one_more_when_its_priority_is_set() -> None:
    allocations = [active("db:0", "n1", 5, "Promoted"), active("db:1", "n2", 5, "Unpromoted")]
    assert priority_delay_applies("n1", allocations, {"n2"}, 2)
    assert not priority_delay_applies("n2", allocations, {"n1"}, 2)
    unset = [active("db:0", "n1", 0, "Promoted"), active("db:1", "n2", 0, "Unpromoted")]
    assert not priority_delay_applies("n1", unset, {"n2"}, 2)


def test_only_primitives_count_and_their_sum_decides() -> None:
    allocations = [active("web", "n1", 10, kind="group"), active("ip", "n1", 3),
                   active("a", "n2", 2), active("b", "n2", 2)]
    # n1: 3 (the group's own priority is not counted), n2: 2 + 2
    assert priority_delay_applies("n2", allocations, {"n1"}, 2)
    assert not priority_delay_applies("n1", allocations, {"n2"}, 2)
