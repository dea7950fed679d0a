# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
#   language_info:
#     name: python
#     pygments_lexer: ipython3
# ---

# %% [markdown]
# # Bayesian measurement: run causality backwards
#
# Nature runs forwards: a cause (the depth of a reflector) produces an effect (a travel time). We measure
# the effect, with noise, and want the cause. Bayes' rule turns the arrow around:
#
# `p(cause | data) ∝ p(data | cause) × p(cause)` — posterior ∝ **likelihood** × **prior**.
#
# This lesson does it once by hand, where the answer is exact, then lets PyMC do it, then goes from one
# unknown to hundreds.

# %%
import matplotlib.pyplot as plt
import numpy as np
import pymc as pm

from bayesgeo import gmrf
from bayesgeo.diagnostics import summarize
from bayesgeo.inference import fit
from bayesgeo.plots import use_style
from bayesgeo.spec import Inference

use_style()  # the package's colour-blind-safe colours for C0, C1, ...

rng = np.random.default_rng(42)

# %% [markdown]
# ## 1. One unknown: the depth of a reflector
# A vertical two-way travel time is `t = 2 d / v`. With `v = 3 km/s` known, five picks of `t` scatter by
# `σ_t = 0.02 s`. Before the survey a geologist believed `d ≈ 1.5 ± 0.3 km`.

# %%
v, sigma_t, d_true = 3.0, 0.02, 1.62
t_obs = 2 * d_true / v + rng.normal(scale=sigma_t, size=5)
prior_mean, prior_sd = 1.5, 0.3
# the forward model is linear in d, so prior x likelihood is Gaussian: the posterior is exact
lik_sd = sigma_t * v / 2 / np.sqrt(t_obs.size)  # s.d. of the depth implied by the mean pick
lik_mean = t_obs.mean() * v / 2
post_var = 1 / (1 / prior_sd**2 + 1 / lik_sd**2)
post_mean = post_var * (prior_mean / prior_sd**2 + lik_mean / lik_sd**2)
print(f"exact posterior: d = {post_mean:.4f} ± {np.sqrt(post_var):.4f} km (truth {d_true})")

# %%
d = np.linspace(0.6, 2.4, 600)


def normal(x, m, s):
    return np.exp(-0.5 * ((x - m) / s) ** 2) / (s * np.sqrt(2 * np.pi))


fig, ax = plt.subplots(figsize=(6.5, 3), layout="constrained")
ax.plot(d, normal(d, prior_mean, prior_sd), label="prior")
ax.plot(d, normal(d, lik_mean, lik_sd), label="likelihood (normalised)")
ax.plot(d, normal(d, post_mean, np.sqrt(post_var)), lw=2.5, label="posterior")
ax.axvline(d_true, color="k", ls=":", label="truth")
ax.set(xlabel="depth d (km)", yticks=[])
ax.legend(frameon=False)
# %% [markdown]
# The posterior is a compromise weighted by precision (1/variance): the data are much more precise than
# the prior here, so they dominate.
#
# ## 2. The same with PyMC
# PyMC needs only the forward model and the two ingredients; NUTS draws from the posterior. For this model we
# can check its answer against the exact one: that is how every sampler in bayesgeo is tested.

# %%
with pm.Model() as model:
    depth = pm.Normal("depth", prior_mean, prior_sd)
    pm.Normal("t", 2 * depth / v, sigma_t, observed=t_obs)
tree = fit(model, Inference(draws=1000, tune=1000, seed=1))
s = summarize(tree["posterior"].to_dataset())
print(f"NUTS:  d = {float(s['depth']):.4f} ± {float(s['depth_sd']):.4f} km")

# %% [markdown]
# ## 3. Many unknowns, as many data: a temperature log
# A borehole temperature log has one noisy reading per metre, and we want the true profile: 200 unknowns
# from 200 data. The prior now carries the physics we trust — temperature varies smoothly with depth — as a
# Gaussian Markov random field: `p(T) ∝ exp(-Σ (T_{i+1} - T_i)² / 2τ²)`. Everything stays Gaussian, so the
# posterior is exact again, computed with a cosine transform in O(N log N).

# %%
z = np.arange(200.0)
T_true = 10 + 0.03 * z + 1.5 * np.tanh((z - 120) / 6)  # a gradient plus a step at an aquifer
noise = 0.4
T_obs = T_true + rng.normal(scale=noise, size=z.size)
lam = gmrf.laplacian_eigenvalues(z.shape)
fig, ax = plt.subplots(figsize=(7, 3.2), layout="constrained")
ax.plot(z, T_obs, ".", color="0.6", ms=3, label="readings")
for tau, color in ((0.02, "C0"), (0.2, "C1"), (2.0, "C2")):
    mean = gmrf.posterior_mean(T_obs, lam, tau**-2, noise**-2)
    sd = np.sqrt(gmrf.posterior_variance(lam, tau**-2, noise**-2))
    ax.plot(z, mean, color=color, label=f"τ = {tau} °C")
    ax.fill_between(z, mean - 1.645 * sd, mean + 1.645 * sd, color=color, alpha=0.2)
ax.plot(z, T_true, "k", lw=1, label="truth")
ax.set(xlabel="depth (m)", ylabel="temperature (°C)")
ax.legend(ncol=5, fontsize=8, frameon=False)

# %% [markdown]
# The prior scale τ decides everything: too small and the aquifer step is smeared, too large and the noise
# survives. Which τ? The data can say, through the **evidence** `p(data | τ)` — the subject of the
# image-denoising lesson (`denoise.py`), where the same algebra runs on 262 144 pixels.
#
# ## Exercise
# With `n` picks instead of 5, the posterior s.d. of the depth shrinks. Write `posterior_sd(n)` for the
# reflector problem (prior s.d. 0.3 km, pick noise 0.02 s, v = 3 km/s) and find the smallest number of
# picks for which the posterior s.d. is below 5 m.


# %% tags=["exercise"]
def posterior_sd(n):
    return None  # your formula


n_picks = None  # your answer


# %% tags=["check", "raises-exception"]
assert abs(posterior_sd(5) - np.sqrt(post_var)) < 1e-12, "posterior_sd(5) should match section 1"
assert posterior_sd(n_picks) < 0.005 <= posterior_sd(n_picks - 1), "not the smallest number of picks"
print(f"{n_picks} picks give ± {1000 * posterior_sd(n_picks):.1f} m")
