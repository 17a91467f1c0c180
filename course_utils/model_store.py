"""Cache entries of several Keras models and a training history, for the VAE and the classifier.

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
from pathlib import Path

STORE_FORMAT = 1  # bump when what an entry holds, or how its models are trained, changes


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
