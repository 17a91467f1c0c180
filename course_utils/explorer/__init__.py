"""The latent explorer: choose a code z with sliders, see the decoded digit g(z) and where z lies.

- :mod:`.shared`: what both explorers share (input checks, ranges, sizes, marker, alt texts);
- :mod:`.kernel`: ``latent_explorer``, ipywidgets driven by a running kernel;
- :mod:`.static`: ``static_latent_explorer``, self-contained HTML whose script decodes in the
  browser, for the static website (its JavaScript and CSS are the package's ``.js``/``.css``).

The names below load their module on first use, so the static explorer never loads ipywidgets.
"""

import importlib

_HOMES = {
    "LatentExplorer": "kernel",
    "latent_explorer": "kernel",
    "StaticLatentExplorer": "static",
    "static_latent_explorer": "static",
}
__all__ = sorted(_HOMES)


def __getattr__(name):
    if name in _HOMES:
        return getattr(importlib.import_module(f".{_HOMES[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
