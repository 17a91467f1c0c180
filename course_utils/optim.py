"""The optimiser a recipe trains with: Adam, or :class:`FusedAdam` (the same arithmetic in one
TensorFlow kernel), with the recipe's learning rate over the run (constant, or a cosine decay
after an optional warm-up). Chapter 3 writes the same optimiser on its page."""

from __future__ import annotations

import math

import keras
import tensorflow as tf

from .recipes import TrainingRecipe


@keras.saving.register_keras_serializable(package="course_utils")
class FusedAdam(keras.optimizers.Adam):
    """``keras.optimizers.Adam`` whose update is TensorFlow's fused ``ResourceApplyAdam`` kernel.

    Takes Adam's arguments and computes Adam's update, in one pass over each weight instead of
    the dozen element-wise passes Keras 3 makes (benchmarks/README.md: how much time that saves).
    Refuses ``amsgrad=True``, which the kernel does not compute.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.amsgrad:
            raise ValueError(
                "FusedAdam has no AMSGrad variant; use keras.optimizers.Adam(amsgrad=True)."
            )

    def update_step(self, gradient, variable, learning_rate):
        dtype = variable.dtype
        index = self._get_variable_index(variable)
        step = tf.cast(self.iterations + 1, dtype)
        tf.raw_ops.ResourceApplyAdam(
            var=variable.handle,
            m=self._momentums[index].handle,
            v=self._velocities[index].handle,
            beta1_power=tf.pow(tf.cast(self.beta_1, dtype), step),
            beta2_power=tf.pow(tf.cast(self.beta_2, dtype), step),
            lr=tf.cast(learning_rate, dtype),
            beta1=tf.cast(self.beta_1, dtype),
            beta2=tf.cast(self.beta_2, dtype),
            epsilon=tf.cast(self.epsilon, dtype),
            grad=tf.cast(gradient, dtype),
        )


def learning_rate(recipe: TrainingRecipe, steps: int):
    """The recipe's learning rate over a run of ``steps`` updates: ``recipe.learning_rate``, or,
    with ``recipe.cosine_decay``, a Keras ``CosineDecay`` schedule from it to 0 (rising from 0
    first over ``recipe.warmup_fraction`` of the steps)."""
    if not recipe.cosine_decay:
        return recipe.learning_rate
    warmup_steps = round(recipe.warmup_fraction * steps)
    if warmup_steps == 0:
        return keras.optimizers.schedules.CosineDecay(recipe.learning_rate, steps)
    return keras.optimizers.schedules.CosineDecay(
        0.0,
        steps - warmup_steps,
        warmup_target=recipe.learning_rate,
        warmup_steps=warmup_steps,
    )


def recipe_optimizer(recipe: TrainingRecipe, images: int) -> keras.optimizers.Adam:
    """The recipe's Adam (:class:`FusedAdam` when ``recipe.fused_adam``) with its
    :func:`learning_rate` over ``recipe.epochs`` epochs of ``images`` training images."""
    steps = recipe.epochs * math.ceil(images / recipe.batch_size)
    adam = FusedAdam if recipe.fused_adam else keras.optimizers.Adam
    return adam(learning_rate(recipe, steps))
