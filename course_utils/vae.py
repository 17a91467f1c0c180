"""Chapter 5's variational autoencoder, trained and cached outside the chapter.

The chapter writes the VAE's Keras code on its page (:func:`course_utils.models.build_vae`
repeats it, and the tests prove the two the same); here a :class:`VAERecipe` is trained
(:func:`train_vae`) on the autoencoder's images and kept in the model cache (:func:`trained_vae`),
and the chapter's own VAE is saved and loaded (:func:`save_vae_to_cache`,
:func:`load_vae_from_cache`). Importing this module loads no TensorFlow; building a model does.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import checks, data, model_store
from .images import check_images
from .recipes import VAE_RECIPE, VAERecipe


@dataclass
class TrainedVAE:
    """A trained VAE: its encoder (image → ``[z_mean, z_log_var]``), decoder (code → image), the
    :class:`course_utils.models.VAE` that joins them, its history (metric → one float per
    epoch: ``loss``, ``reconstruction``, ``kl`` and their ``val_``) and its recipe."""

    encoder: object
    decoder: object
    vae: object
    history: dict[str, list[float]]
    recipe: VAERecipe


def train_vae(recipe: VAERecipe, x_train, x_val=None, verbose="auto") -> TrainedVAE:
    """Build and train the VAE ``recipe`` describes on ``x_train`` (chapter 5's code); ``x_val``
    (if given) is what Keras reports as ``val_reconstruction`` and ``val_kl``. Both are checked
    first (:func:`course_utils.images.check_images`); a loss that becomes NaN stops training with
    a :class:`course_utils.training.TrainingDivergedError`."""
    import keras

    from .training import fit_recipe

    checks.instance("recipe", recipe, VAERecipe, "VAE_RECIPE")
    x_train = check_images(x_train, "x_train")
    if x_val is not None:
        x_val = check_images(x_val, "x_val")
    keras.utils.set_random_seed(recipe.seed)
    encoder, decoder, vae = _built(recipe)
    history = fit_recipe(
        vae,
        recipe,
        x_train,
        validation_data=None if x_val is None else (x_val,),
        verbose=verbose,
    )
    return TrainedVAE(encoder, decoder, vae, history, recipe)


def trained_vae(recipe: VAERecipe = VAE_RECIPE, verbose="auto") -> TrainedVAE:
    """The VAE trained by ``recipe`` (chapter 5's by default): loaded from the model cache, or
    trained on :func:`course_utils.data.training_split` (the autoencoder's images) and cached.
    Cache faults warn (:class:`CacheWarning`) and never lose the model (:mod:`.model_store`)."""
    from .models import VAE

    def train_it():
        (x_train, _), (x_val, _) = data.training_split(recipe.digits)
        trained = train_vae(recipe, x_train, x_val=x_val, verbose=verbose)
        return {"encoder": trained.encoder, "decoder": trained.decoder}, trained.history

    models, history = model_store.load_or_train(_entry(recipe), train_it)
    encoder, decoder = models["encoder"], models["decoder"]
    vae = VAE(encoder, decoder, kl_weight=recipe.kl_weight)
    return TrainedVAE(encoder, decoder, vae, history, recipe)


def save_vae_to_cache(vae, history, recipe: VAERecipe = VAE_RECIPE) -> None:
    """Keep a trained ``vae``'s encoder and decoder and its ``history`` (a Keras ``History`` or
    its dict) in the model cache, where ``trained_vae(recipe)`` and ``load_vae_from_cache`` find
    them (shown in chapter 5). Refuses (``ValueError``) layers that are not the recipe's and a
    history that is not finite; raises :class:`course_utils.model_store.ModelCacheError` when the
    cache cannot be written. The model in memory is untouched."""
    model_store.save(_entry(recipe), {"encoder": vae.encoder, "decoder": vae.decoder}, history)


def load_vae_from_cache(vae, recipe: VAERecipe = VAE_RECIPE):
    """Put the cached weights of ``recipe``'s VAE into ``vae`` and return its history, or return
    ``None``, leaving ``vae`` untouched, when this machine has not trained that recipe yet (or
    its entry was damaged: a :class:`CacheWarning` says so). Refuses (``ValueError``) a ``vae``
    whose layers are not the recipe's (shown in chapter 5)."""
    cached = model_store.load(_entry(recipe), {"encoder": vae.encoder, "decoder": vae.decoder})
    return None if cached is None else cached[1]


def _encoder_and_decoder(recipe: VAERecipe) -> dict:
    encoder, decoder, _ = _built(recipe)
    return {"encoder": encoder, "decoder": decoder}


def _built(recipe: VAERecipe):
    from .models import build_vae

    return build_vae(latent_dim=recipe.latent_dim, hidden=recipe.hidden, kl_weight=recipe.kl_weight)


def _entry(recipe: VAERecipe) -> model_store.Entry:
    """The model cache's entry of ``recipe``'s VAE: the recipe and its training data."""
    checks.instance("recipe", recipe, VAERecipe, "VAE_RECIPE")
    return model_store.Entry("vae", recipe.cache_settings(), lambda: _encoder_and_decoder(recipe))
