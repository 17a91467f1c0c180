"""The model cache: every model the course trains, trained once per machine and healed if damaged.

Every cached model goes through :func:`load_or_train`: the autoencoder, the VAEs and the digit
classifier (their own modules say what decides them), and each model a chapter trains on its page
with :func:`cached_fit`. An :class:`Entry` is one trained model: its ``name`` (the model's kind,
which names its files), its ``settings`` (everything besides the layers that decides the weights:
a recipe or the page's settings, and the training data) and a ``build`` function that makes its
Keras models with fresh weights. On disk an entry is two files in :func:`model_cache_dir`:

- ``{name}-{key}.json``, its record: the store's format, the name, the settings, the Keras
  version, each model's layers, and the training history;
- ``{name}-{key}.npz``, the weights of its models (arrays only: no pickle, no code).

``key`` hashes the format, name, settings, Keras version and backend: a change of any of them is
another entry. The record is written first and the weights last, each atomically, so the weights
file marks a complete entry, and readers never see a torn file. For every kind of model:

- a damaged entry (a record that is not JSON, was saved for other settings or layers, or holds
  no usable history; weights that cannot be read or do not fit the layers) is removed and trained
  again, with one :class:`CacheWarning` naming the file;
- a cache that cannot be written (a file where the folder should be, a read-only folder, a full
  disk) costs only the caching: the trained models are returned, with one :class:`CacheWarning`
  saying why;
- the files an older version of the course wrote for a kind are removed, with one
  :class:`CacheWarning`, when that kind is next trained;
- a history that is not one finite number per epoch is never cached (``ValueError``).

Importing this module loads no TensorFlow; loading or training a model does.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import random
import re
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ._files import describe_disk_error, disk_error, remove_stale_temporaries, write_atomically

STORE_FORMAT = 4  # bump when what an entry holds, or how its models are trained, changes
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
# What older versions of the course wrote: {name}-{key}.keras (+ .json), {name}-{key}.{part}.keras
# and {name}-{key}.history.json, {name}-{key}.weights.npz.
_OLD_FORMAT = r"(?P<stem>{name}-[0-9a-f]{{16}})\.(?:keras|[a-z]+\.keras|history\.json|weights\.npz)"


class CacheWarning(UserWarning):
    """The model cache could not be used (a damaged entry, retrained) or written (not cached)."""


class ModelCacheError(OSError):
    """A trained model could not be written to the model cache (the model itself is fine)."""


def model_cache_dir() -> Path:
    """The folder of trained models: ``models/`` in the data cache
    (:func:`course_utils.data.cache_dir`)."""
    from .data import cache_dir

    return cache_dir() / "models"


@dataclasses.dataclass(frozen=True)
class Entry:
    """One trained model in the cache.

    ``name``: letters, digits, ``-`` or ``_`` (it names the files: the model's kind, or a page
    model's name); ``settings``: a JSON-able dict of everything besides the layers that decides
    the trained weights (a recipe, the training data); ``build()``: the entry's Keras models with
    fresh weights, as a dict of part name → model. Refuses a ``name`` or ``settings`` it cannot
    store (``ValueError``).
    """

    name: str
    settings: dict
    build: Callable[[], dict]

    def __post_init__(self):
        if not isinstance(self.name, str) or not _NAME.fullmatch(self.name):
            raise ValueError(
                f"name must be letters, digits, - or _ (it names the cache's files); "
                f"got {self.name!r}"
            )
        if not isinstance(self.settings, dict):
            raise ValueError(
                f"settings must be a dict of what decides the weights; got {self.settings!r}"
            )
        try:  # kept as JSON reads it back: tuples become lists
            object.__setattr__(self, "settings", json.loads(json.dumps(self.settings)))
        except (TypeError, ValueError) as error:
            raise ValueError(
                f"settings must hold only numbers, strings, lists and dicts ({error})"
            ) from None

    def paths(self) -> tuple[Path, Path]:
        """``(record, weights)``: the entry's two files."""
        import keras

        what = {
            "format": STORE_FORMAT,
            "name": self.name,
            "settings": self.settings,
            "keras": keras.__version__,
            "backend": keras.backend.backend(),
        }
        key = hashlib.sha256(json.dumps(what, sort_keys=True).encode()).hexdigest()[:16]
        stem = model_cache_dir() / f"{self.name}-{key}"
        return stem.with_suffix(".json"), stem.with_suffix(".npz")


def load_or_train(entry: Entry, train: Callable[[], tuple]) -> tuple[dict, dict]:
    """``(models, history)``: the entry's cached models, or those ``train()`` returns, cached.

    ``train()`` returns ``(models, history)``: a dict of part name → trained Keras model (the
    parts ``entry.build()`` makes) and a Keras ``History`` or its dict. The history returned is
    metric → one float per epoch. Faults of the cache warn and never lose the trained models (see
    the module's docstring); a history that is not finite raises ``ValueError``.
    """
    cached = load(entry)
    if cached is not None:
        return cached
    _remove_old_formats(entry.name)
    models, history = train()
    history = _checked_history(history)
    try:
        _write(entry, models, history)
    except ModelCacheError as error:
        warnings.warn(
            f"{error} (the trained model is returned, not cached; it will be trained again "
            f"next time)",
            CacheWarning,
            stacklevel=3,
        )
    return models, history


def load(entry: Entry, models: dict | None = None) -> tuple[dict, dict] | None:
    """``(models, history)`` of the cached entry, or ``None`` when nothing usable is cached.

    The cached weights go into ``models`` (default: ``entry.build()``), all or none of them;
    refuses (``ValueError``) ``models`` whose layers differ from ``entry.build()``'s. A damaged
    entry is removed, with one :class:`CacheWarning`, and gives ``None``.
    """
    if models is not None:
        _check_layers(entry, models)
    record_path, weights_path = entry.paths()
    if not weights_path.is_file():
        return None  # nothing cached (a record alone is a save that was interrupted)
    models = entry.build() if models is None else models
    try:
        history = _read(entry, models, record_path, weights_path)
    except _DamagedEntry as damage:
        try:
            for path in (record_path, weights_path):
                path.unlink(missing_ok=True)
            removed = "removed it"
        except OSError:
            removed = "could not remove it"  # a read-only cache: trained around each time
        warnings.warn(
            f"damaged model cache entry {weights_path}: {damage}; {removed} and training again",
            CacheWarning,
            stacklevel=3,
        )
        return None
    return models, history


def save(entry: Entry, models: dict, history) -> None:
    """Keep ``models`` (part name → trained Keras model) and their ``history`` as ``entry``.

    Refuses (``ValueError``) models whose layers differ from ``entry.build()``'s and a history
    that is not one finite number per epoch; raises :class:`ModelCacheError`, saying where and
    why, when the cache cannot be written. The models are left as they are either way.
    """
    _check_layers(entry, models)
    _write(entry, models, _checked_history(history))


def cached_fit(model, name: str, settings: dict, fit: Callable[[], object]) -> dict:
    """Train ``model`` once per machine: load its cached weights, or call ``fit()`` and cache them.

    ``settings`` (a JSON-able dict) names everything besides the layers that decides the trained
    weights: the data, the optimiser, the epochs, the seed. With a new ``name`` and ``settings``
    (or changed layers), ``fit()`` trains ``model`` and returns a Keras ``History`` or its dict,
    and the weights and history are cached; later calls put the cached weights into ``model``
    and return the history without training. Returns the history: metric → one float per epoch.
    Refuses (``ValueError``) a ``name`` that cannot name files, ``settings`` that are not
    JSON-able, a ``fit`` that is not callable and a model without weights.
    """
    if not callable(fit):
        raise ValueError("fit must be a function that trains the model: lambda: model.fit(...)")
    if not getattr(model, "weights", None):
        raise ValueError("model has no weights yet: build it (keras.Input or model.build) first")
    given = Entry(name, settings, lambda: {"model": model})  # refuses what it cannot store
    layers = _layers({"model": model})  # in the key: other layers are another entry
    entry = dataclasses.replace(given, settings={"settings": given.settings, "layers": layers})
    return load_or_train(entry, lambda: ({"model": model}, fit()))[1]


class _DamagedEntry(Exception):
    """A cache entry that exists but cannot be trusted; says why."""


def _read(entry: Entry, models: dict, record_path: Path, weights_path: Path) -> dict:
    """The entry's history, with its weights put into ``models``; ``_DamagedEntry`` if the entry
    cannot be read or was not made for these settings and layers."""
    try:
        record = json.loads(record_path.read_text())
    except FileNotFoundError:
        raise _DamagedEntry(f"{record_path.name} is missing") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise _DamagedEntry(f"{record_path.name} is not readable JSON ({error})") from None
    if not isinstance(record, dict):
        raise _DamagedEntry(f"{record_path.name} is not a cache record")
    expected = _record(entry, models, history=None)
    for field in ("format", "name", "settings", "layers"):
        if record.get(field) != expected[field]:
            raise _DamagedEntry(f"{record_path.name} was saved for another {field}")
    try:
        history = _checked_history(record.get("history"))
    except ValueError as problem:
        raise _DamagedEntry(f"{record_path.name}: {problem}") from None
    _load_weights(models, weights_path)
    return history


def _load_weights(models: dict, weights_path: Path) -> None:
    """Put the stored arrays into ``models``, only once all of them are read and fit."""
    try:
        with np.load(weights_path) as stored:  # arrays only: allow_pickle stays False
            arrays = {name: stored[name] for name in stored.files}
    except Exception as error:  # noqa: BLE001 - a truncated or scrambled file fails in many ways
        said = (str(error).strip().splitlines() or [type(error).__name__])[0][:160]
        raise _DamagedEntry(f"its weights are not a readable .npz file ({said})") from None
    wanted = {
        f"{part}.{index}": tuple(weight.shape)
        for part, model in models.items()
        for index, weight in enumerate(model.weights)
    }
    found = {name: array.shape for name, array in arrays.items()}
    if found != wanted:
        raise _DamagedEntry("its weights do not fit the models' layers")
    for part, model in models.items():
        model.set_weights([arrays[f"{part}.{index}"] for index in range(len(model.weights))])


def _write(entry: Entry, models: dict, history: dict) -> None:
    """Write the entry's record, then its weights, each atomically; :class:`ModelCacheError`
    (and no file of the entry) when the cache cannot take them."""
    record_path, weights_path = entry.paths()
    record = json.dumps(_record(entry, models, history))
    arrays = {
        f"{part}.{index}": weight
        for part, model in models.items()
        for index, weight in enumerate(model.get_weights())
    }
    try:
        record_path.parent.mkdir(parents=True, exist_ok=True)
        remove_stale_temporaries(record_path.parent, (f".{entry.name}-",))
        write_atomically(record_path, lambda path: Path(path).write_text(record))
        write_atomically(weights_path, lambda path: np.savez(path, **arrays))
    except OSError as error:
        try:
            record_path.unlink(missing_ok=True)
        except OSError:
            pass
        raise _write_error(error, weights_path) from error


def _write_error(error: OSError, weights_path: Path) -> ModelCacheError:
    local = disk_error(error)
    if local is not None:
        why = describe_disk_error(local, weights_path.parent)
    else:
        why = f"{type(error).__name__}: {error}"
    return ModelCacheError(
        f"could not save {weights_path} in the model cache: {why}. Free some space, or set "
        f"COURSE_UTILS_DATA_DIR to a writable folder, to cache models"
    )


def _record(entry: Entry, models: dict, history) -> dict:
    import keras

    return {
        "format": STORE_FORMAT,
        "name": entry.name,
        "settings": entry.settings,
        "keras": keras.__version__,
        "layers": _layers(models),
        "history": history,
    }


def _checked_history(history) -> dict:
    """``history`` (a Keras ``History`` or its dict) as metric → list of floats, if it is one
    finite number per epoch for each metric, with a loss; else a ``ValueError`` saying why."""
    history = getattr(history, "history", history)
    if not isinstance(history, dict) or not isinstance(history.get("loss"), list):
        raise ValueError("its history has no loss curve")
    checked = {}
    for name, values in history.items():
        if (
            not isinstance(values, list)
            or len(values) != len(history["loss"])
            or not values
            or not all(_is_finite(value) for value in values)
        ):
            raise ValueError(f"its history's {name!r} is not one finite number per epoch")
        checked[name] = [float(value) for value in values]
    return checked


def _is_finite(value) -> bool:
    try:
        return not isinstance(value, (bool, str)) and math.isfinite(value)
    except TypeError:
        return False


def _layers(models: dict) -> dict:
    """Each model's layers: class, activation and weight shapes, nested layers within."""

    def signature(layer):
        activation = getattr(getattr(layer, "activation", None), "__name__", None)
        shapes = [list(weight.shape) for weight in layer.weights]
        return [
            type(layer).__name__,
            activation,
            shapes,
            [signature(inner) for inner in getattr(layer, "layers", ())],
        ]

    return {part: signature(model) for part, model in models.items()}


def _describe(layers: dict) -> str:
    """The sizes and activations of the dense layers in a :func:`_layers` signature."""

    def dense(signature):
        layer_class, activation, shapes, inner = signature
        own = [f"{shapes[0][-1]} {activation}"] if layer_class == "Dense" and shapes else []
        return own + [text for layer in inner for text in dense(layer)]

    return "; ".join(f"{part}: {', '.join(dense(model))}" for part, model in layers.items())


def _check_layers(entry: Entry, models: dict) -> None:
    """``ValueError`` unless ``models`` have the layers of ``entry.build()``'s."""
    expected = _layers(_built_quietly(entry))
    given = _layers(models)
    if given != expected:
        raise ValueError(
            f"its layers are {_describe(given)}, while the recipe builds {_describe(expected)}"
        )


def _built_quietly(entry: Entry) -> dict:
    """``entry.build()``, leaving Python's random numbers where they were (Keras draws a seed
    for each new layer), so that checking a model changes nothing a chapter computes next."""
    state = random.getstate()
    try:
        return entry.build()
    finally:
        random.setstate(state)


def _remove_old_formats(name: str) -> None:
    """Remove the files an older version of the course cached for ``name``, with one warning."""
    directory = model_cache_dir()
    pattern = re.compile(_OLD_FORMAT.format(name=re.escape(name)))
    try:
        names = [path.name for path in directory.iterdir()]
    except OSError:
        return  # no cache yet, or not a folder: nothing old to remove
    stems = {match["stem"] for name in names if (match := pattern.fullmatch(name))}
    old = [directory / name for name in names if name.split(".")[0] in stems]
    if not old:
        return
    try:
        for path in old:
            path.unlink(missing_ok=True)
        done = "removed them"
    except OSError:
        done = "could not remove them"
    warnings.warn(
        f"the model cache {directory} holds {len(old)} files of {name} models in an older "
        f"format, which this version does not read; {done}, and trains the models again",
        CacheWarning,
        stacklevel=4,
    )
