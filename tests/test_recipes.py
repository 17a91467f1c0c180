"""course_utils/recipes.py: every recipe is checked when it is made, and importing recipes
needs no TensorFlow."""

import dataclasses

import numpy as np
import pytest

from course_utils.recipes import (
    CLASSIFIER_RECIPE,
    DEFAULT_RECIPE,
    REFERENCE_RECIPE,
    VAE_RECIPE,
    ClassifierRecipe,
    Recipe,
    TrainingRecipe,
    VAERecipe,
)

SMALL = Recipe(hidden=(64, 32), batch_size=100, epochs=3, learning_rate=3e-3)


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"warmup_fraction": 0.1}, "needs cosine_decay=True"),
        (
            {"cosine_decay": True, "warmup_fraction": 1.0},
            "warmup_fraction must be ≥ 0 and < 1; got 1.0",
        ),
        ({"cosine_decay": True, "warmup_fraction": -0.1}, "≥ 0 and < 1; got -0.1"),
        ({"epochs": 0}, "epochs must be a whole number ≥ 1; got 0"),
        ({"epochs": 2.5}, "epochs must be a whole number ≥ 1; got 2.5"),
        ({"learning_rate": -1e-3}, "learning_rate must be > 0; got -0.001"),
        ({"learning_rate": 0}, "learning_rate must be > 0"),
        ({"learning_rate": float("nan")}, "learning_rate must be a finite number"),
        ({"learning_rate": "1e-3"}, "learning_rate must be a finite number"),
        ({"batch_size": 0}, "batch_size must be a whole number ≥ 1; got 0"),
        ({"steps_per_execution": 0}, "steps_per_execution must be a whole number ≥ 1; got 0"),
        ({"latent_dim": 0}, "latent_dim must be a whole number ≥ 1; got 0"),
        ({"latent_dim": True}, "latent_dim must be a whole number"),
        ({"hidden": (500, 0)}, "each hidden layer size must be a whole number ≥ 1; got 0"),
        ({"hidden": 500}, r"hidden must be a tuple of layer sizes, e.g. \(500, 300\)"),
        ({"output_activation": "bogus"}, "one of 'linear', 'sigmoid'.*got 'bogus'"),
        ({"output_activation": 1}, "output_activation must be None"),
        ({"digits": (1, 11)}, "integers 0-9"),
        ({"digits": ()}, "non-empty"),
        ({"seed": -1}, "seed must be a whole number ≥ 0"),
        ({"seed": 2**32}, "seed must be below 4294967296"),
        ({"fused_adam": "yes"}, "fused_adam must be True or False"),
        ({"cosine_decay": 1}, "cosine_decay must be True or False"),
        ({"jit_compile": None}, "jit_compile must be True or False"),
    ],
)
def test_a_recipe_that_cannot_train_is_refused_when_it_is_made(fields, message):
    with pytest.raises(ValueError, match=message):
        Recipe(**fields)
    with pytest.raises(ValueError, match=message):  # dataclasses.replace checks too
        dataclasses.replace(SMALL, **fields)


@pytest.mark.parametrize(
    "recipe_class, fields, message",
    [
        (VAERecipe, {"kl_weight": -1.0}, "kl_weight must be ≥ 0; got -1.0"),
        (VAERecipe, {"kl_weight": float("inf")}, "kl_weight must be a finite number"),
        (VAERecipe, {"hidden": "500"}, "hidden must be a tuple of layer sizes"),
        (VAERecipe, {"epochs": 0}, "epochs must be a whole number ≥ 1"),
        (
            ClassifierRecipe,
            {"digits": (1,)},
            r"2 or more distinct integers 0-9, e.g. .*; got \(1,\)",
        ),
        (ClassifierRecipe, {"digits": (1, 1)}, "duplicates"),
        (ClassifierRecipe, {"digits": (1, 12)}, "12 is not one of them"),
        (ClassifierRecipe, {"hidden": (0,)}, "each hidden layer size"),
        (ClassifierRecipe, {"epochs": np.int64(0)}, "epochs must be a whole number ≥ 1"),
        (ClassifierRecipe, {"learning_rate": 0.0}, "learning_rate must be > 0"),
    ],
)
def test_vae_and_classifier_recipes_are_checked_the_same_way(recipe_class, fields, message):
    with pytest.raises(ValueError, match=message):
        recipe_class(**fields)


def test_numpy_numbers_in_a_recipe_become_python_numbers():
    recipe = Recipe(
        digits=np.array([1, 5, 6]),
        latent_dim=np.int64(2),
        hidden=np.array([64, 32]),
        batch_size=np.int32(100),
        epochs=np.int64(3),
        learning_rate=np.float32(3e-3),
        fused_adam=np.bool_(False),
    )
    assert recipe.digits == (1, 5, 6) and recipe.hidden == (64, 32)
    assert type(recipe.latent_dim) is int and type(recipe.epochs) is int
    assert type(recipe.learning_rate) is float and type(recipe.fused_adam) is bool
    assert recipe == dataclasses.replace(SMALL, learning_rate=float(np.float32(3e-3)))
    assert ClassifierRecipe(digits=np.array([1, 6]), epochs=np.int32(2)) == ClassifierRecipe(
        digits=(1, 6), epochs=2
    )


def test_every_recipe_shares_the_training_fields_and_has_only_what_it_uses():
    shared = {field.name for field in dataclasses.fields(TrainingRecipe)}
    for recipe_class, own in (
        (Recipe, {"latent_dim", "hidden", "output_activation", "jit_compile"}),
        (VAERecipe, {"latent_dim", "hidden", "kl_weight"}),
        (ClassifierRecipe, {"hidden"}),
    ):
        assert {field.name for field in dataclasses.fields(recipe_class)} == shared | own


def test_the_vae_recipe_is_the_default_recipe_with_the_kl_weight():
    for field in dataclasses.fields(VAERecipe):
        if field.name != "kl_weight":
            assert getattr(VAE_RECIPE, field.name) == getattr(DEFAULT_RECIPE, field.name)
    assert VAE_RECIPE.kl_weight == 1.0
    assert DEFAULT_RECIPE.output_activation == "sigmoid"  # the VAE's pixels, in [0, 1] too



def test_the_course_recipes_are_what_the_chapters_say():
    assert (REFERENCE_RECIPE.learning_rate, REFERENCE_RECIPE.batch_size) == (1e-3, 50)
    assert (REFERENCE_RECIPE.epochs, REFERENCE_RECIPE.output_activation) == (10, None)
    assert (DEFAULT_RECIPE.learning_rate, DEFAULT_RECIPE.epochs) == (6e-3, 6)
    assert DEFAULT_RECIPE.steps_per_execution == 32 and DEFAULT_RECIPE.fused_adam
    assert CLASSIFIER_RECIPE.digits == (1, 5, 6) and CLASSIFIER_RECIPE.hidden == (256,)
    assert CLASSIFIER_RECIPE.steps_per_execution == 32 and CLASSIFIER_RECIPE.cosine_decay


def test_what_the_cache_keys_is_the_whole_recipe_and_its_training_data():
    settings = SMALL.cache_settings()
    assert settings["recipe"] == dataclasses.asdict(SMALL)
    assert settings["data"]["digits"] == [1, 5, 6] and "mnist_sha256" in settings["data"]
    changed = {
        "digits": (1, 6),
        "learning_rate": 2e-3,
        "cosine_decay": True,
        "warmup_fraction": 0.1,
        "batch_size": 64,
        "epochs": 4,
        "seed": 1,
        "steps_per_execution": 8,
        "fused_adam": True,
        "latent_dim": 3,
        "hidden": (64,),
        "output_activation": "sigmoid",
        "jit_compile": True,
    }
    assert set(changed) == {field.name for field in dataclasses.fields(Recipe)}
    for name, value in changed.items():
        extra = {"cosine_decay": True} if name == "warmup_fraction" else {}
        other = dataclasses.replace(SMALL, **{name: value}, **extra)
        assert other.cache_settings() != settings, name
