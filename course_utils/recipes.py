"""Recipes: everything that decides a trained model, checked when the recipe is made.

A recipe is a frozen dataclass. :class:`TrainingRecipe` holds what training any model of the
course takes (the digits it learns from, the optimiser's settings, batches, epochs, seed); the
autoencoder's :class:`Recipe`, the :class:`VAERecipe` and the :class:`ClassifierRecipe` add their
networks' sizes. Every field is checked when a recipe is made, or changed with
``dataclasses.replace``: a recipe that exists can train, and numpy numbers become Python ones.
Importing this module loads no TensorFlow.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from . import checks

# The activations an autoencoder's output layer may have (None: linear), by their Keras names.
OUTPUT_ACTIVATIONS = (None, "linear", "sigmoid", "hard_sigmoid", "relu", "softplus", "tanh")


def _output_activation(name: str, value) -> str | None:
    if value not in OUTPUT_ACTIVATIONS:
        raise ValueError(
            f"{name} must be None (a linear output) or the name of a Keras activation, one of "
            f"{', '.join(map(repr, OUTPUT_ACTIVATIONS[1:]))}; got {value!r}"
        )
    return value


_FIELD_CHECKS = {  # field name -> check(name, value), returning the value as it is kept
    "digits": lambda name, value: checks.digits(value, name),
    "learning_rate": lambda name, value: checks.finite_number(name, value, above=0),
    "cosine_decay": checks.flag,
    "warmup_fraction": lambda name, value: checks.finite_number(name, value, 0, below=1),
    "batch_size": checks.whole_number,
    "epochs": checks.whole_number,
    "seed": lambda name, value: checks.whole_number(name, value, 0, below=2**32),
    "steps_per_execution": checks.whole_number,
    "fused_adam": checks.flag,
    "latent_dim": checks.whole_number,
    "hidden": checks.layer_sizes,
    "output_activation": _output_activation,
    "jit_compile": checks.flag,
    "kl_weight": lambda name, value: checks.finite_number(name, value, 0),
}


@dataclass(frozen=True)
class TrainingRecipe:
    """What training any of the course's models takes.

    ``digits``: the MNIST digits it learns from (``None``: all ten), split by
    :func:`course_utils.data.training_split`; ``learning_rate`` of Adam (``fused_adam``:
    :class:`course_utils.optim.FusedAdam`), decayed to 0 along a cosine when ``cosine_decay``,
    after rising from 0 during the first ``warmup_fraction`` of the steps; ``batch_size``,
    ``epochs``, ``seed``; ``steps_per_execution``: training steps per call into TensorFlow.
    Refuses (``ValueError``) any field that could not train.
    """

    digits: tuple[int, ...] | None = (1, 5, 6)
    learning_rate: float = 1e-3
    cosine_decay: bool = False
    warmup_fraction: float = 0.0
    batch_size: int = 50
    epochs: int = 10
    seed: int = 0
    steps_per_execution: int = 1
    fused_adam: bool = False

    def cache_settings(self) -> dict:
        """What decides a model trained by this recipe, as the model cache keys it: the whole
        recipe, and the training data (:func:`course_utils.data.training_split_identity`)."""
        from .data import training_split_identity

        return {"recipe": dataclasses.asdict(self), "data": training_split_identity(self.digits)}

    def __post_init__(self):
        for field in dataclasses.fields(self):
            checked = _FIELD_CHECKS[field.name](field.name, getattr(self, field.name))
            object.__setattr__(self, field.name, checked)
        if self.warmup_fraction and not self.cosine_decay:
            raise ValueError(
                "warmup_fraction needs cosine_decay=True (the warm-up leads into the decay)"
            )


@dataclass(frozen=True)
class Recipe(TrainingRecipe):
    """An autoencoder's recipe: :func:`course_utils.build_autoencoder`'s ``latent_dim``,
    ``hidden`` sizes and ``output_activation`` (``None``: linear), trained on the squared loss,
    with its training step compiled by XLA when ``jit_compile``."""

    latent_dim: int = 2
    hidden: tuple[int, ...] = (500, 300)
    output_activation: str | None = None
    jit_compile: bool = False


@dataclass(frozen=True)
class VAERecipe(TrainingRecipe):
    """A VAE's recipe (chapter 5): :func:`course_utils.models.build_vae`'s ``latent_dim`` and
    ``hidden`` sizes, trained on reconstruction + ``kl_weight`` × KL divergence."""

    latent_dim: int = 2
    hidden: tuple[int, ...] = (500, 300)
    kl_weight: float = 1.0


@dataclass(frozen=True)
class ClassifierRecipe(TrainingRecipe):
    """The digit classifier's recipe (chapter 5): ReLU layers of sizes ``hidden`` and a softmax
    over two or more ``digits``, trained on the cross-entropy."""

    hidden: tuple[int, ...] = (256,)
    learning_rate: float = 2e-3
    cosine_decay: bool = True
    batch_size: int = 64
    epochs: int = 6  # 6 rather than 4: higher validation accuracy, for a few seconds more
    steps_per_execution: int = 32
    fused_adam: bool = True

    def __post_init__(self):
        super().__post_init__()
        checks.digits(self.digits, "a classifier's digits", at_least=2)


# The original recipe of the course: linear output, Adam 1e-3, batch 50, 10 epochs.
REFERENCE_RECIPE = Recipe()
# What the chapters train: more accurate than the reference in less than half its time. A sigmoid
# keeps pixels in [0, 1]; a larger, decaying step size needs fewer epochs; several steps per call
# cut the per-step overhead; the fused Adam update makes one pass over the weights instead of a
# dozen. XLA (jit_compile) would be faster still, but needs more memory at its peak than a 1 GB
# Binder can spare (benchmarks/README.md has the figures).
DEFAULT_RECIPE = Recipe(
    output_activation="sigmoid",
    learning_rate=6e-3,
    cosine_decay=True,
    warmup_fraction=0.1,
    batch_size=50,
    epochs=6,
    steps_per_execution=32,
    fused_adam=True,
)
# The chapter's VAE: the autoencoder's layer sizes and training recipe (chapter 3), the VAE's loss.
VAE_RECIPE = VAERecipe(
    **{
        field.name: getattr(DEFAULT_RECIPE, field.name)
        for field in dataclasses.fields(VAERecipe)
        if hasattr(DEFAULT_RECIPE, field.name)
    },
    kl_weight=1.0,
)
CLASSIFIER_RECIPE = ClassifierRecipe()
