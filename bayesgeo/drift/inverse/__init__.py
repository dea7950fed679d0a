"""Pumice source inference (the ``drift.source`` case): which volcano, when, and how the raft drifted.

Tier 1 (:mod:`.kernel`) is the closed-form advection-diffusion kernel of a uniform drift; tier 2
(:mod:`.ensemble`) runs the drift simulator on any field. Both share the data (:mod:`.data`), the exact
quadrature over each source's continuous unknowns (:mod:`.quadrature`) and the simulated posterior predictive
(:mod:`.predict`); :mod:`.model` holds the priors, the PyMC model and synthetic data, :mod:`.case` the spec.
"""
