"""omniloss: every deep-learning loss, written once against the Python Array API standard.

Call any loss with NumPy, PyTorch, JAX, TensorFlow or array-api-strict arrays (CuPy and Dask
through array-api-compat); the result is an array of the same library, on the same device, with
autodiff intact. Nothing here imports a framework the caller has not imported.

Each family lives in its own module (:mod:`omniloss.regression`, :mod:`omniloss.classification`,
...); every public name is re-exported here.
"""

from omniloss import (
    activations,
    classification,
    embedding,
    gan,
    margin,
    regression,
    segmentation,
    sequence,
    structured,
)
from omniloss._dispatch import get_namespace
from omniloss.activations import *  # noqa: F403
from omniloss.classification import *  # noqa: F403
from omniloss.embedding import *  # noqa: F403
from omniloss.gan import *  # noqa: F403
from omniloss.margin import *  # noqa: F403
from omniloss.regression import *  # noqa: F403
from omniloss.segmentation import *  # noqa: F403
from omniloss.sequence import *  # noqa: F403
from omniloss.structured import *  # noqa: F403

__version__ = "0.1.0"

__all__ = [
    "get_namespace",
    *regression.__all__,
    *classification.__all__,
    *margin.__all__,
    *embedding.__all__,
    *segmentation.__all__,
    *sequence.__all__,
    *gan.__all__,
    *structured.__all__,
    *activations.__all__,
]
