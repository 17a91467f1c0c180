"""course_utils/checks.py: the shared argument checks return plain Python values or say what is
wrong."""

import numpy as np
import pytest

from course_utils import checks


@pytest.mark.parametrize("value", [3, np.int64(3), np.uint8(3)])
def test_whole_numbers_come_back_as_int(value):
    assert checks.whole_number("n", value, 1) == 3
    assert type(checks.whole_number("n", value, 1)) is int


@pytest.mark.parametrize(
    "value, minimum, below, message",
    [
        (0, 1, None, "n must be a whole number ≥ 1; got 0"),
        (2.0, 1, None, "n must be a whole number ≥ 1; got 2.0"),
        (True, 0, None, "n must be a whole number ≥ 0; got True"),
        ("3", 1, None, "got '3'"),
        (10, 0, 10, "n must be below 10; got 10"),
    ],
)
def test_whole_numbers_refuse_the_rest(value, minimum, below, message):
    with pytest.raises(ValueError, match=message):
        checks.whole_number("n", value, minimum, below)


def test_finite_numbers_and_their_bounds():
    assert checks.finite_number("x", np.float32(0.5), 0, below=1) == 0.5
    assert type(checks.finite_number("x", 1)) is float
    assert checks.finite_number("p", 1, above=0, maximum=1) == 1.0
    for value in (float("nan"), float("inf"), "1", True, None):
        with pytest.raises(ValueError, match="x must be a finite number"):
            checks.finite_number("x", value)
    with pytest.raises(ValueError, match="x must be ≥ 0 and < 1; got 1"):
        checks.finite_number("x", 1, 0, below=1)
    with pytest.raises(ValueError, match="p must be > 0 and ≤ 1; got 0"):
        checks.finite_number("p", 0, above=0, maximum=1)
    with pytest.raises(ValueError, match="p must be > 0 and ≤ 1; got 1.5"):
        checks.finite_number("p", 1.5, above=0, maximum=1)


def test_flags_are_true_or_false_only():
    assert checks.flag("f", np.bool_(True)) is True
    for value in (1, 0, "yes", None):
        with pytest.raises(ValueError, match="f must be True or False"):
            checks.flag("f", value)


def test_digits():
    assert checks.digits(None) is None
    assert checks.digits(np.array([1, 5, 6])) == (1, 5, 6)
    assert type(checks.digits(np.array([1]))[0]) is int
    for value, message in (
        ((1, 11), "11 is not one of them"),
        ((1, 1), "duplicates"),
        ((), r"non-empty collection of distinct integers 0-9, e.g. .*; got \(\)"),
        ("156", "got '156'"),
        ((True,), "True is not one of them"),
    ):
        with pytest.raises(ValueError, match=message):
            checks.digits(value)
    with pytest.raises(ValueError, match="labels must be None or 2 or more distinct"):
        checks.digits((3,), "labels", at_least=2)


def test_layer_sizes():
    assert checks.layer_sizes("hidden", np.array([64, 32])) == (64, 32)
    assert checks.layer_sizes("hidden", ()) == ()
    with pytest.raises(ValueError, match="each hidden layer size must be a whole number ≥ 1"):
        checks.layer_sizes("hidden", (64, 0))
    with pytest.raises(ValueError, match="hidden must be a tuple of layer sizes"):
        checks.layer_sizes("hidden", 64)


def test_instances_name_an_example():
    assert checks.instance("recipe", 3, int, "THREE") == 3
    with pytest.raises(
        ValueError, match=r"recipe must be a int \(e.g. course_utils.THREE\); got str"
    ):
        checks.instance("recipe", "3", int, "THREE")
