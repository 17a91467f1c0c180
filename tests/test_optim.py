"""course_utils/optim.py: FusedAdam is Adam in one kernel, and a recipe's learning rate and
optimiser are what it says."""

import dataclasses

import keras
import numpy as np
import pytest
import tensorflow as tf

from course_utils.optim import FusedAdam, learning_rate, recipe_optimizer
from course_utils.recipes import CLASSIFIER_RECIPE, DEFAULT_RECIPE, Recipe


def test_warmup_rises_from_zero_to_the_learning_rate_then_decays_to_zero():
    recipe = Recipe(learning_rate=6e-3, cosine_decay=True, warmup_fraction=0.1)
    schedule = learning_rate(recipe, steps=100)
    rates = [float(schedule(step)) for step in (0, 5, 10, 55, 100)]
    assert rates == pytest.approx([0.0, 3e-3, 6e-3, 3e-3, 0.0], abs=1e-9)
    without_warmup = learning_rate(Recipe(learning_rate=6e-3, cosine_decay=True), 100)
    assert float(without_warmup(0)) == pytest.approx(6e-3)
    assert float(without_warmup(100)) == pytest.approx(0.0, abs=1e-9)
    assert learning_rate(Recipe(learning_rate=6e-3), 100) == 6e-3


def rate_at(optimizer, step: int) -> float:
    optimizer.iterations.assign(step)
    return float(optimizer.learning_rate)


def test_the_recipes_optimiser_runs_its_schedule_over_all_its_steps():
    optimizer = recipe_optimizer(DEFAULT_RECIPE, images=1000)  # 20 batches of 50, 6 epochs
    assert isinstance(optimizer, FusedAdam)
    assert rate_at(optimizer, 0) == 0.0
    assert rate_at(optimizer, 12) == pytest.approx(DEFAULT_RECIPE.learning_rate)  # warmed up
    assert rate_at(optimizer, 120) == pytest.approx(0.0, abs=1e-9)
    plain = recipe_optimizer(dataclasses.replace(DEFAULT_RECIPE, fused_adam=False), 1000)
    assert type(plain) is keras.optimizers.Adam
    classifier = recipe_optimizer(CLASSIFIER_RECIPE, images=640)  # 10 batches of 64, 6 epochs
    assert rate_at(classifier, 0) == pytest.approx(CLASSIFIER_RECIPE.learning_rate)
    assert rate_at(classifier, 60) == pytest.approx(0.0, abs=1e-9)


def test_fused_adam_updates_the_weights_exactly_as_keras_adam_does():
    rng = np.random.default_rng(0)
    start = rng.normal(size=(30, 20)).astype(np.float32)
    gradients = rng.normal(size=(5, 30, 20)).astype(np.float32)
    schedule = keras.optimizers.schedules.CosineDecay(3e-3, decay_steps=5)
    final_weights = []
    for optimizer in (keras.optimizers.Adam(schedule), FusedAdam(schedule)):
        variable = keras.Variable(start)
        for gradient in gradients:
            optimizer.apply_gradients([(gradient, variable)])
        final_weights.append(np.asarray(variable))
    keras_weights, fused_weights = final_weights
    assert np.abs(keras_weights - start).mean() > 1e-3  # the weights moved
    np.testing.assert_allclose(fused_weights, keras_weights, rtol=1e-5, atol=1e-7)


def test_fused_adam_updates_each_weight_with_the_one_fused_kernel():
    def update_ops(optimizer):
        variable = keras.Variable(np.zeros((3, 2), np.float32))
        optimizer.build([variable])

        @tf.function(autograph=False)
        def step(gradient):
            optimizer.apply_gradients([(gradient, variable)])

        graph = step.get_concrete_function(tf.TensorSpec((3, 2), tf.float32)).graph
        return [
            op.type for op in graph.get_operations() if "Apply" in op.type or "Assign" in op.type
        ]

    assert "ResourceApplyAdam" not in update_ops(keras.optimizers.Adam())
    fused = update_ops(FusedAdam())
    assert fused.count("ResourceApplyAdam") == 1
    assert "AssignAddVariableOp" not in fused and "AssignSubVariableOp" not in fused


def test_fused_adam_refuses_amsgrad_rather_than_ignoring_it():
    with pytest.raises(ValueError, match="amsgrad=True"):
        FusedAdam(amsgrad=True)
