"""Pacemaker score arithmetic and text: properties over all integers, and Pacemaker's quirks."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from vigil.model.score import INFINITY, add, clamp, format_score, is_valid_score, parse_score

scores = st.one_of(st.integers(-INFINITY, INFINITY), st.sampled_from([INFINITY, -INFINITY]))
any_int = st.integers(-10 * INFINITY, 10 * INFINITY)


@given(scores, scores)
def test_add_is_commutative(a: int, b: int) -> None:
    assert add(a, b) == add(b, a)


@given(scores)
def test_minus_infinity_absorbs(a: int) -> None:
    assert add(a, -INFINITY) == -INFINITY
    assert add(-INFINITY, a) == -INFINITY


@given(scores)
def test_infinity_absorbs_all_but_minus_infinity(a: int) -> None:
    assert add(a, INFINITY) == (-INFINITY if a == -INFINITY else INFINITY)


@given(any_int, any_int)
def test_add_result_is_clamped(a: int, b: int) -> None:
    assert -INFINITY <= add(a, b) <= INFINITY


@given(st.integers(-INFINITY + 1, INFINITY - 1), st.integers(-INFINITY + 1, INFINITY - 1))
def test_add_of_finite_scores_is_the_clamped_sum(a: int, b: int) -> None:
    assert add(a, b) == clamp(a + b)


@given(any_int)
def test_format_then_parse_is_the_clamped_value(a: int) -> None:
    text = format_score(clamp(a))
    assert is_valid_score(text)
    assert parse_score(text) == clamp(a)


@given(any_int)
def test_parse_of_an_integer_clamps(a: int) -> None:
    assert parse_score(str(a)) == clamp(a)


def test_pacemaker_quirks() -> None:
    assert parse_score("2.0") == 2
    assert parse_score("abc", default=-1) == -1
    assert parse_score(None, default=5) == 5
    assert parse_score("+INFINITY") == INFINITY
    assert not is_valid_score("infinity")
    assert not is_valid_score("2.0")
    assert is_valid_score("-INFINITY")
