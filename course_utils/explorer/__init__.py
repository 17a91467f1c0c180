"""The latent explorer: choose a code z with sliders, see the decoded digit g(z) and where z lies.

- :mod:`.shared`: what both explorers share (input checks, ranges, sizes, marker, alt texts);
- :mod:`.kernel`: ``latent_explorer``, ipywidgets driven by a running kernel;
- :mod:`.static`: ``static_latent_explorer``, self-contained HTML whose script decodes in the
  browser, for the static website (its JavaScript and CSS are the package's ``.js``/``.css``);
- :mod:`.draw`: ``draw_explorer``, the other way round: draw a digit, see its code, its
  reconstruction and the anomaly verdict, computed in the browser (``preprocess_drawing``: a
  drawing made a 28×28 image as MNIST's digits were).

The names below load their module on first use, so the static explorer never loads ipywidgets.
"""

import importlib

_HOMES = {
    "LatentExplorer": "kernel",
    "latent_explorer": "kernel",
    "StaticLatentExplorer": "static",
    "static_latent_explorer": "static",
    "DrawExplorer": "draw",
    "draw_explorer": "draw",
    "preprocess_drawing": "draw",
}
__all__ = sorted(_HOMES)


def __getattr__(name):
    if name in _HOMES:
        return getattr(importlib.import_module(f".{_HOMES[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
