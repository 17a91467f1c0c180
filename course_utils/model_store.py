"""Cache entries of trained Keras models and their training history.

:func:`cached_fit` is what a chapter calls around the ``fit`` it shows: the model is trained once
per machine, and later runs load its weights. The rest stores chapter 5's VAE and classifier:

An entry is one JSON history file and one ``.keras`` file per model, named
``{kind}-{key}.{part}.keras`` in :func:`course_utils.training.model_cache_dir`, where ``key`` is a
hash of everything that determines the models (:func:`settings_key`). Every file is written
atomically, the history first and the models after it, the last model marking a complete entry.
The functions are small so that the autoencoder's cache (``training.py``) and this one can share
one implementation later (checking and healing damaged entries, storing the settings).
"""

from __future__ import annotations

import hashlib
import json
import re
import warnings
from pathlib import Path

import numpy as np

STORE_FORMAT = 1  # bump when what an entry holds, or how its models are trained, changes


class CacheWarning(UserWarning):
    """The model cache could not be used (a damaged entry, retrained) or written (not cached)."""


def settings_key(kind: str, settings: dict) -> str:
    """A hash of ``kind``, ``settings`` (JSON-able) and the library versions that train the
    models."""
    import keras

    identity = {
        "kind": kind,
        "settings": settings,
        "keras": keras.__version__,
        "backend": keras.backend.backend(),
        "format": STORE_FORMAT,
    }
    return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:16]


def entry_paths(kind: str, key: str, parts) -> tuple[Path, dict[str, Path]]:
    """``(history_path, {part: model_path})`` of the entry ``kind``/``key`` in the model cache."""
    from .training import model_cache_dir

    directory = model_cache_dir()
    history = directory / f"{kind}-{key}.history.json"
    return history, {part: directory / f"{kind}-{key}.{part}.keras" for part in parts}


def save_entry(kind: str, key: str, models: dict, history: dict) -> None:
    """Write ``models`` (part name → Keras model) and ``history`` (metric → values) atomically."""
    from .training import _write_atomically

    history_path, model_paths = entry_paths(kind, key, models)
    history_path.parent.mkdir(parents=True, exist_ok=True)
    history = {name: [float(value) for value in values] for name, values in history.items()}
    _write_atomically(history_path, lambda path: Path(path).write_text(json.dumps(history)))
    for part, model in models.items():
        _write_atomically(model_paths[part], model.save)


def load_entry(kind: str, key: str, parts) -> tuple[dict, dict] | None:
    """``(models, history)`` of a complete entry, else ``None`` (nothing cached yet)."""
    import keras

    history_path, model_paths = entry_paths(kind, key, parts)
    if not history_path.is_file() or not all(path.is_file() for path in model_paths.values()):
        return None
    models = {
        part: keras.saving.load_model(path, safe_mode=True) for part, path in model_paths.items()
    }
    return models, json.loads(history_path.read_text())


def cached_fit(model, name: str, settings: dict, fit) -> dict:
    """Train ``model`` once per machine: load its cached weights, or call ``fit()`` and cache them.

    ``settings`` (a JSON-able dict) names everything besides the layers that decides the trained
    weights: the data, the optimiser, the epochs, the seed. With a new ``name`` and ``settings``
    (or changed layers), ``fit()`` trains ``model`` and returns a Keras ``History`` or its dict,
    and the weights and history are cached; later calls put the cached weights into ``model``
    and return the history without training. Returns the history: metric → one float per epoch.

    A damaged entry is trained again, and a cache that cannot be written costs only the caching;
    both warn (:class:`CacheWarning`) in one line naming the file.
    """
    if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]*", name):
        raise ValueError(
            f"name must be letters, digits, - or _ (it names the cache's files); got {name!r}"
        )
    if not isinstance(settings, dict):
        raise ValueError(f"settings must be a dict of what decides the weights; got {settings!r}")
    try:
        json.dumps(settings)
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"settings must hold only numbers, strings, lists and dicts ({error})"
        ) from None
    if not callable(fit):
        raise ValueError("fit must be a function that trains the model: lambda: model.fit(...)")
    if not getattr(model, "weights", None):
        raise ValueError("model has no weights yet: build it (keras.Input or model.build) first")
    key = settings_key(name, {"settings": settings, "layers": _layer_signature(model)})
    history_path, weight_path = _fit_paths(name, key)
    history = _load_fit(model, history_path, weight_path)
    if history is not None:
        return history
    history = fit()
    history = getattr(history, "history", history)
    if not isinstance(history, dict):
        raise ValueError(f"fit() must return a Keras History or its dict; got {type(history)}")
    history = {metric: [float(value) for value in values] for metric, values in history.items()}
    _save_fit(model, history, history_path, weight_path)
    return history


def _layer_signature(model) -> list:
    """Each layer's class, activation and weight shapes: what the model's code decides."""
    signature = []
    for layer in getattr(model, "layers", ()):
        activation = getattr(getattr(layer, "activation", None), "__name__", None)
        shapes = [list(weight.shape) for weight in layer.weights]
        signature.append([type(layer).__name__, activation, shapes, _layer_signature(layer)])
    return signature


def _fit_paths(name: str, key: str) -> tuple[Path, Path]:
    from .training import model_cache_dir

    directory = model_cache_dir()
    return directory / f"{name}-{key}.history.json", directory / f"{name}-{key}.weights.npz"


def _load_fit(model, history_path: Path, weight_path: Path) -> dict | None:
    """The cached history with its weights loaded into ``model``; ``None`` when nothing usable
    is cached (a damaged entry is removed, with a warning)."""
    if not weight_path.is_file():
        return None  # nothing cached (a history alone is a save that was interrupted)
    try:
        history = json.loads(history_path.read_text())
        if not isinstance(history, dict) or not all(
            isinstance(values, list) for values in history.values()
        ):
            raise ValueError("the history is not a dict of lists")
        with np.load(weight_path) as stored:  # the arrays only: no optimizer state, no pickle
            model.set_weights([stored[f"arr_{index}"] for index in range(len(stored.files))])
    except Exception as error:  # noqa: BLE001 - a damaged file fails in many ways
        said = (str(error).strip().splitlines() or [type(error).__name__])[0][:160]
        try:
            for path in (history_path, weight_path):
                path.unlink(missing_ok=True)
            removed = "removed it"
        except OSError:
            removed = "could not remove it"
        warnings.warn(
            f"damaged model cache entry {weight_path}: {said}; {removed} and training again",
            CacheWarning,
            stacklevel=3,
        )
        return None
    return history


def _save_fit(model, history: dict, history_path: Path, weight_path: Path) -> None:
    from .training import ModelCacheError, _cache_write_error, _write_atomically

    try:
        history_path.parent.mkdir(parents=True, exist_ok=True)
        _write_atomically(history_path, lambda path: Path(path).write_text(json.dumps(history)))
        weights = model.get_weights()
        _write_atomically(weight_path, lambda path: np.savez(path, *weights))
    except OSError as error:
        cache_error: ModelCacheError = _cache_write_error(error, weight_path)
        warnings.warn(
            f"{cache_error} (the trained model is kept, not cached; it will be trained again "
            f"next time)",
            CacheWarning,
            stacklevel=3,
        )
