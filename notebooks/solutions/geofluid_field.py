"""Solution of the exercise in notebooks/geofluid_field.py (inserted after its exercise cell by the tests)."""

s, truth = fits["gmrf"]["summary"], fits["gmrf"]["reference"]["aspect_ratio"]
coverage = float(((s["aspect_ratio_q05"] <= truth) & (truth <= s["aspect_ratio_q95"])).mean())
print(f"coverage of the 90 % intervals: {coverage:.2f}")
