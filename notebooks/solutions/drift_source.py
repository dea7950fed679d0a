"""Solution of the exercise in notebooks/drift_source.py (inserted after its exercise cell by the tests)."""

pinned_kh = {"priors.diffusivity": {"dist": "LogNormal", "mu": float(np.log(10.0)), "sigma": 0.05}}
refit = bayesgeo.fit_spec(spec, **pinned_kh, **{"data.predictive_draws": 2, "data.horizon_days": 1.0})
answer = str(refit["summary"]["p_source"].idxmax().values)
# With little diffusion the late, meandering sightings weigh as much as the first ones: the straight track
# then passes ~50 km north of the vent, next to Ioto, and the model confidently picks the wrong volcano.
