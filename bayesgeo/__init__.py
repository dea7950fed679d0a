"""bayesgeo: declarative PyMC models for Bayesian inverse problems in earth science."""

from bayesgeo._version import __version__

__all__ = ["__version__"]
