# The package's public names and where each is defined: the one list, read by editors and type
# checkers (go to definition, completion) and, at run time, by lazy_loader in __init__.py, which
# imports a name's module the first time the name is used.

from .baselines import pca_test_mse as pca_test_mse
from .classifier import TrainedClassifier as TrainedClassifier
from .classifier import train_classifier as train_classifier
from .classifier import trained_classifier as trained_classifier
from .data import MnistUnavailableError as MnistUnavailableError
from .data import cache_dir as cache_dir
from .data import fetch_mnist as fetch_mnist
from .data import load_mnist as load_mnist
from .data import load_mnist_test as load_mnist_test
from .data import split_validation as split_validation
from .data import training_split as training_split
from .diagrams import draw_autoencoder as draw_autoencoder
from .explorer.kernel import LatentExplorer as LatentExplorer
from .explorer.kernel import latent_explorer as latent_explorer
from .explorer.static import StaticLatentExplorer as StaticLatentExplorer
from .explorer.static import static_latent_explorer as static_latent_explorer
from .model_store import CacheWarning as CacheWarning
from .model_store import ModelCacheError as ModelCacheError
from .model_store import cached_fit as cached_fit
from .models import VAE as VAE
from .models import Sampling as Sampling
from .models import architecture_table as architecture_table
from .models import build_autoencoder as build_autoencoder
from .models import build_classifier as build_classifier
from .models import build_vae as build_vae
from .models import split_autoencoder as split_autoencoder
from .optim import FusedAdam as FusedAdam
from .plots import DIGIT_COLORS as DIGIT_COLORS
from .plots import plot_latent_scatter as plot_latent_scatter
from .plots import plot_loss_curve as plot_loss_curve
from .plots import show_digit as show_digit
from .plots import show_digits as show_digits
from .plots import show_manifold as show_manifold
from .plots import show_reconstructions as show_reconstructions
from .prose import glue as glue
from .recipes import CLASSIFIER_RECIPE as CLASSIFIER_RECIPE
from .recipes import DEFAULT_RECIPE as DEFAULT_RECIPE
from .recipes import REFERENCE_RECIPE as REFERENCE_RECIPE
from .recipes import VAE_RECIPE as VAE_RECIPE
from .recipes import ClassifierRecipe as ClassifierRecipe
from .recipes import Recipe as Recipe
from .recipes import TrainingRecipe as TrainingRecipe
from .recipes import VAERecipe as VAERecipe
from .sample_quality import SampleQuality as SampleQuality
from .sample_quality import nearest_distances as nearest_distances
from .sample_quality import sample_quality as sample_quality
from .training import TrainedAutoencoder as TrainedAutoencoder
from .training import TrainingDivergedError as TrainingDivergedError
from .training import reconstruction_mse as reconstruction_mse
from .training import save_to_cache as save_to_cache
from .training import train as train
from .training import trained_autoencoder as trained_autoencoder
from .vae import TrainedVAE as TrainedVAE
from .vae import load_vae_from_cache as load_vae_from_cache
from .vae import save_vae_to_cache as save_vae_to_cache
from .vae import train_vae as train_vae
from .vae import trained_vae as trained_vae

__version__: str
