"""Solution of the exercise in notebooks/drift_hazard.py (inserted after its exercise cell by the tests)."""

release = drift.release_disk(fob.lon, fob.lat, 10e3, "2021-08-13", n=300, seed=4, land=land)
stranded = {}
for alpha in (0.0, 0.02):
    run = drift.simulate(
        field, release, duration="150D", windage=alpha, diffusivity=10.0, land=land, seed=4, output_every=None
    )
    stranded[alpha] = float((run.final_status == 2).mean())
