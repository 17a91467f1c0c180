"""Numbers quoted in the chapters' prose: ``glue`` records a computed value for the book build."""

from __future__ import annotations

import numpy as np


def glue(name: str, value) -> None:
    """Record ``value`` under ``name`` for the prose's ``{glue:text}`name``` roles.

    The book build (myst-nb) substitutes the number into the text, so prose never quotes a
    typed-in result. Where myst-nb is not installed (Colab) there is nothing to record.
    """
    if isinstance(value, np.generic):
        value = value.item()  # quote 31.8, not np.float64(31.8)
    try:
        from myst_nb import glue as myst_glue
    except ImportError:
        return
    myst_glue(name, value, display=False)
