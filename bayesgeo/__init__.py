"""bayesgeo: declarative PyMC models for Bayesian inverse problems in earth science."""

from bayesgeo._version import __version__
from bayesgeo.api import compare, fit_spec
from bayesgeo.errors import SpecError

__all__ = ["SpecError", "__version__", "compare", "fit_spec"]
