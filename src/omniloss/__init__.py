"""omniloss: every deep-learning loss, written once against the Python Array API standard.

Call any loss with NumPy, PyTorch, JAX, TensorFlow or array-api-strict arrays (CuPy and Dask
through array-api-compat); the result is an array of the same library, on the same device, with
autodiff intact. Nothing here imports a framework the caller has not imported.
"""

from omniloss._dispatch import get_namespace
from omniloss.regression import l1_loss, mse_loss

__version__ = "0.1.0"

__all__ = [
    "get_namespace",
    "l1_loss",
    "mse_loss",
]
