"""Solution of the exercise in notebooks/denoise.py (inserted after its exercise cell by the tests)."""

answer = "gmrf2"  # terrain is smooth in slope, not in height: the membrane prior takes noise for relief
