"""model.values: Pacemaker's booleans."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vigil.model.values import is_true, parse_bool

TRUE_WORDS = ("true", "on", "yes", "y", "1")
FALSE_WORDS = ("false", "off", "no", "n", "0")


@pytest.mark.parametrize("word", TRUE_WORDS)
def test_crm_is_true_words(word: str) -> None:
    assert is_true(word) and is_true(word.upper()) and is_true(f" {word.capitalize()}\n")
    assert parse_bool(word) is True


@pytest.mark.parametrize("word", [*FALSE_WORDS, "", "2", "enabled", "yes please", "t", "-1"])
def test_everything_else_is_false(word: str) -> None:
    assert not is_true(word) and not is_true(word, default=True)


def test_unset_is_the_default() -> None:
    assert is_true(None) is False and is_true(None, default=True) is True


@pytest.mark.parametrize("word", FALSE_WORDS)
def test_false_words(word: str) -> None:
    assert parse_bool(word.upper()) is False


@given(st.text(max_size=8))
def test_is_true_is_parse_bool_when_set(text: str) -> None:
    # One truth: a value is true exactly when it parses as the boolean True.
    assert is_true(text) == (parse_bool(text) is True)
    assert is_true(text, default=True) == is_true(text)
    assert parse_bool(text) is None or text.strip().lower() in (*TRUE_WORDS, *FALSE_WORDS)
