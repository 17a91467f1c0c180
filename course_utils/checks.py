"""The argument checks the package shares: whole and finite numbers, flags, digits, layer sizes.

Each check returns the value as a plain Python value (numpy numbers become ``int``, ``float`` or
``bool``) or raises a ``ValueError`` that names the argument, says what it must be and shows what
it got. Only numpy is needed: checking arguments loads no TensorFlow.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

DIGITS = tuple(range(10))


def _is_bool(value) -> bool:
    return isinstance(value, (bool, np.bool_))


def whole_number(name: str, value, minimum: int = 1, below: int | None = None) -> int:
    """``value`` as an ``int`` if it is a whole number ≥ ``minimum`` (and < ``below``, if given);
    refuses ``True``/``False``, fractions and strings."""
    if _is_bool(value) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name} must be a whole number ≥ {minimum}; got {value!r}")
    if below is not None and value >= below:
        raise ValueError(f"{name} must be below {below}; got {value!r}")
    return int(value)


def finite_number(name: str, value, minimum=None, maximum=None, *, above=None, below=None) -> float:
    """``value`` as a ``float`` if it is a finite real number within the bounds given:
    ≥ ``minimum``, ≤ ``maximum``, > ``above``, < ``below``."""
    if _is_bool(value) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number; got {value!r}")
    requirements = [
        (met, text)
        for bound, met, text in (
            (minimum, lambda: value >= minimum, f"≥ {minimum}"),
            (above, lambda: value > above, f"> {above}"),
            (maximum, lambda: value <= maximum, f"≤ {maximum}"),
            (below, lambda: value < below, f"< {below}"),
        )
        if bound is not None
    ]
    if not all(met() for met, _ in requirements):
        wanted = " and ".join(text for _, text in requirements)
        raise ValueError(f"{name} must be {wanted}; got {value!r}")
    return float(value)


def flag(name: str, value) -> bool:
    """``value`` as a ``bool`` if it is ``True`` or ``False`` (numpy's too), not 0, 1 or "yes"."""
    if not _is_bool(value):
        raise ValueError(f"{name} must be True or False; got {value!r}")
    return bool(value)


def digits(value, name: str = "digits", at_least: int = 1) -> tuple[int, ...] | None:
    """``value`` as a tuple of ``int`` if it is ``None`` (all ten digits) or a collection of at
    least ``at_least`` distinct digits 0-9, e.g. ``(1, 5, 6)``."""
    if value is None:
        return None
    how_many = "a non-empty collection of" if at_least == 1 else f"{at_least} or more"
    valid = f"{name} must be None or {how_many} distinct integers 0-9, e.g. (1, 5, 6)"
    if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
        raise ValueError(f"{valid}; got {value!r}")
    chosen = tuple(value)
    for digit in chosen:
        if _is_bool(digit) or not isinstance(digit, numbers.Integral) or digit not in DIGITS:
            raise ValueError(f"{valid}; {digit!r} is not one of them")
    if len(set(chosen)) != len(chosen):
        raise ValueError(f"{valid}; got duplicates in {value!r}")
    if len(chosen) < at_least:
        raise ValueError(f"{valid}; got {value!r}")
    return tuple(int(digit) for digit in chosen)


def layer_sizes(name: str, value) -> tuple[int, ...]:
    """``value`` as a tuple of ``int`` if it is a sequence of layer sizes ≥ 1, e.g. ``(500, 300)``
    (empty: no hidden layer)."""
    if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
        raise ValueError(f"{name} must be a tuple of layer sizes, e.g. (500, 300); got {value!r}")
    return tuple(whole_number(f"each {name} layer size", units, 1) for units in value)


def instance(name: str, value, cls: type, example: str):
    """``value`` if it is a ``cls``; else a ``ValueError`` that names ``example``, one that is."""
    if not isinstance(value, cls):
        raise ValueError(
            f"{name} must be a {cls.__name__} (e.g. course_utils.{example}); "
            f"got {type(value).__name__}"
        )
    return value
