"""Solid-rock density and elastic moduli at pressure and temperature (Hacker-Abers approach).

Each mineral follows Hacker & Abers (2004, G-cubed 5 Q01005; eqs. after Hacker, Abers & Peacock 2003,
JGR 108(B1) 2029) with the parameters of the Abers & Hacker (2016, G-cubed 17:616) database:

1. thermal expansion ``alpha(T) = a0 (1 - 10/sqrt(T))`` integrated from 298 K to ``Phi(T)``;
   ``rho(T) = rho0 exp(-Phi)``, ``KT(T) = KT0 exp(-delta_T Phi)``, ``G(T) = G0 exp(-Gamma Phi)``;
2. compression along a third-order Birch-Murnaghan isotherm: Eulerian strain ``f`` solves
   ``P = 3 KT f (1+2f)^(5/2) (1 + 1.5 (KT' - 4) f)``; ``rho = rho(T) (1+2f)^(3/2)``;
   moduli to first order in ``f`` (Davies & Dziewonski 1975):
   ``KT(P,T) = KT (1+2f)^(5/2) (1 + (3 KT' - 5) f)``, ``G(P,T) = G (1+2f)^(5/2) (1 + (3 KT G'/G - 5) f)``;
3. adiabatic bulk modulus ``KS = KT (1 + alpha gamma T)`` with
   ``alpha(P,T) = alpha(T) (rho/rho(T))^(-delta_T)``.

Quartz follows the special treatment of Abers & Hacker (2016): alpha-beta transition at
``T_ab = 574.3 + 0.2559 P - 6.406e-6 P^2`` (deg C, P in MPa); alpha-quartz expansion after
Carpenter et al. (1998) and moduli after regressions of Ohno et al. (2006) data; beta-quartz moduli
from the same paper's fits in ``x = T - T_ab`` (K): ``KT = KT0 exp(0.0963 ln x - 0.0072)``,
``G = G0 exp(-0.0002 + 0.0002 x)``, exactly as in their toolbox and in USGS MinVel. The logarithmic fit
keeps rising away from the transition: it gives 58 GPa 26 K above ``T_ab`` but 69.7 GPa (adiabatic, with
compression) at 0.545 GPa, 828.5 C (117 K above ``T_ab``), where SLB2011 (Stixrude & Lithgow-Bertelloni
2011, evaluated with BurnMan) gives 54.6 GPa and single-crystal studies of beta-quartz report roughly
55-60 GPa. bayesgeo keeps the compilation's formula so that its solid velocities are the Hacker-Abers ones;
the excess stiffens quartz-rich rocks in the beta field (granite at that P, T: Vp +0.09 km/s, 1.5 %, against
KT = 58 GPa; Vs unchanged), comparable to the default Vp noise of 0.05 km/s: a model uncertainty of
quartz-rich lithologies in the beta field.

The rock is the Voigt-Reuss-Hill average of its minerals at fixed volume fractions. These are constants
per (lithology, P, T): they are computed with NumPy once and cached, not differentiated.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import numpy as np
import pandas as pd
import xarray as xr

from bayesgeo.geofluid._checks import check_range

__all__ = [
    "lithology_modes",
    "list_lithologies",
    "mineral_table",
    "mineral_properties",
    "rock_properties",
    "solid_properties",
]

T_REF_K = 298.0
QUARTZ = "qz"
P_RANGE_GPA = (0.0, 10.0)
T_RANGE_C = (-20.0, 1600.0)


def _read_csv(name: str) -> pd.DataFrame:
    with resources.files("bayesgeo.geofluid").joinpath("data", name).open() as fh:
        return pd.read_csv(fh, comment="#", skipinitialspace=True)


@lru_cache(maxsize=1)
def mineral_table() -> pd.DataFrame:
    """Mineral database (Abers & Hacker 2016), indexed by mineral code; see ``data/minerals.csv``."""
    return _read_csv("minerals.csv").set_index("code")


def _parse_modes(text: str) -> dict[str, float]:
    pairs = (item.split("=") for item in text.split())
    modes = {code: float(value) for code, value in pairs}
    total = sum(modes.values())
    return {code: value / total for code, value in modes.items()}


@lru_cache(maxsize=1)
def _lithology_rows() -> pd.DataFrame:
    return _read_csv("lithologies.csv").set_index("name")


def lithology_modes(name: str) -> dict[str, float]:
    """Volume fractions (sum 1) of lithology ``name``, keyed by mineral code ('qz' = quartz)."""
    rows = _lithology_rows()
    if name not in rows.index:
        raise ValueError(f"unknown lithology {name!r}; expected one of {', '.join(rows.index)}")
    return _parse_modes(rows.loc[name, "modes"])


def _bulk_sio2(modes: dict[str, float]) -> float:
    """Bulk SiO2 (wt%) from modes, mineral densities at 25 C and ideal end-member SiO2 contents."""
    table = mineral_table()
    codes = ["aqz" if code == QUARTZ else code for code in modes]
    fractions = np.array(list(modes.values()))
    mass = fractions * table.loc[codes, "density_kg_m3"].to_numpy()
    return float(mass @ table.loc[codes, "SiO2_wt"].to_numpy() / mass.sum())


@lru_cache(maxsize=1)
def list_lithologies() -> pd.DataFrame:
    """Table of the shipped lithologies, ordered by bulk SiO2 (high to low).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``name``; columns ``rock_class``, ``SiO2_wt`` (wt%, computed from the modes and
        ideal end-member compositions, not measured), ``mode_basis`` ('published' or 'constructed'),
        ``modes`` (vol%, as tabulated) and ``source``.
    """
    rows = _lithology_rows().copy()
    rows["SiO2_wt"] = [round(_bulk_sio2(_parse_modes(m)), 2) for m in rows["modes"]]
    columns = ["rock_class", "SiO2_wt", "mode_basis", "modes", "source"]
    return rows[columns].sort_values("SiO2_wt", ascending=False, kind="stable")


def _birch_murnaghan_strain(p_gpa: np.ndarray, kt: np.ndarray, kprime: np.ndarray) -> np.ndarray:
    """Eulerian strain f solving the third-order Birch-Murnaghan isotherm by Newton iteration."""
    f = p_gpa / (3.0 * kt)
    for _ in range(50):
        s = (1.0 + 2.0 * f) ** 2.5
        c = 1.0 + 1.5 * (kprime - 4.0) * f
        residual = 3.0 * kt * f * s * c - p_gpa
        slope = 3.0 * kt * (s * c + f * 5.0 * (1.0 + 2.0 * f) ** 1.5 * c + f * s * 1.5 * (kprime - 4.0))
        f = f - residual / slope
    return f


def _expansion(a0: np.ndarray, t_k: float) -> tuple[np.ndarray, np.ndarray]:
    """Integrated expansion Phi(T) from 298 K and alpha(T), for alpha = a0 (1 - 10/sqrt(T))."""
    phi = a0 * ((t_k - T_REF_K) - 20.0 * (np.sqrt(t_k) - np.sqrt(T_REF_K)))
    return phi, a0 * (1.0 - 10.0 / np.sqrt(t_k))


def _quartz_transition_c(p_gpa: float) -> float:
    """Alpha-beta quartz transition temperature (deg C) at pressure P (Abers & Hacker 2016)."""
    p_mpa = 1e3 * p_gpa
    return 574.3 + 0.2559 * p_mpa - 6.406e-6 * p_mpa**2


def _ohno_bulk(x: float) -> float:
    return 11.384 + 0.6478 * np.log(x) + 0.5878 * np.log(x) ** 2


def _ohno_shear(x: float) -> float:
    return 41.721 - 0.034879 * np.log(x) + 0.08424 * np.log(x) ** 2


def _quartz_at_temperature(p_gpa: float, t_k: float) -> tuple[str, dict[str, float]]:
    """Phase code and 1-bar properties of quartz at T: rho(T), KT(T), G(T), alpha(T) (Abers & Hacker 2016).

    The distance to the transition is floored at 1 K, where the regressions are singular.
    """
    t_ab = _quartz_transition_c(p_gpa) + 273.15
    table = mineral_table()
    if t_k < t_ab:
        par = table.loc["aqz"]
        t_c = t_ab - 3.1
        v0 = -5.4e-3  # Carpenter et al. (1998) spontaneous strain, as adjusted by Abers & Hacker (2016)

        def strain(t: float) -> float:
            return (2.0 / 3.0) * v0 * (1.0 + np.sqrt(1.0 - 0.75 * (t - t_c) / (t_ab - t_c)))

        phi = np.log1p(strain(t_k)) - np.log1p(strain(T_REF_K))
        root = np.sqrt(1.0 - 0.75 * (t_k - t_c) / (t_ab - t_c))
        alpha = -0.25 * v0 / ((1.0 + strain(t_k)) * (t_ab - t_c) * root)
        x, x0 = max(t_ab - t_k, 1.0), t_ab - T_REF_K
        kt = par.KT_GPa * _ohno_bulk(x) / _ohno_bulk(x0)
        g = par.G_GPa * _ohno_shear(x) / _ohno_shear(x0)
        code = "aqz"
    else:
        par = table.loc["bqz"]
        phi, alpha = _expansion(par.alpha0_per_K, t_k)
        x = max(t_k - t_ab, 1.0)
        kt = par.KT_GPa * np.exp(0.0963 * np.log(x) - 0.0072)
        g = par.G_GPa * np.exp(-0.0002 + 0.0002 * x)
        code = "bqz"
    return code, {"rho_t": par.density_kg_m3 * np.exp(-phi), "kt_t": kt, "g_t": g, "alpha_t": alpha}


def mineral_properties(codes: list[str], p_gpa: float, t_c: float) -> dict[str, np.ndarray]:
    """Density and adiabatic moduli of minerals at (P, T) after Hacker & Abers (2004).

    Parameters
    ----------
    codes : list of str
        Mineral codes of ``data/minerals.csv``; 'qz' selects alpha or beta quartz.
    p_gpa : float
        Pressure (GPa), in [0, 10].
    t_c : float
        Temperature (deg C), in [-20, 1600].

    Returns
    -------
    dict of numpy.ndarray
        ``rho`` (kg/m3), ``K`` adiabatic bulk modulus (GPa), ``G`` shear modulus (GPa), one entry per code.
    """
    check_range("pressure", p_gpa, *P_RANGE_GPA, "GPa", "Hacker-Abers solid")
    check_range("temperature", t_c, *T_RANGE_C, "deg C", "Hacker-Abers solid")
    table = mineral_table()
    t_k = t_c + 273.15
    names = list(codes)
    unknown = [c for c in names if c != QUARTZ and c not in table.index]
    if unknown:
        raise ValueError(f"unknown mineral code(s) {unknown}; expected codes of minerals.csv or 'qz'")
    rows, states = [], []
    for code in names:
        if code == QUARTZ:
            phase, state = _quartz_at_temperature(p_gpa, t_k)
            rows.append(table.loc[phase])
            states.append(state)
        else:
            par = table.loc[code]
            phi, alpha = _expansion(par.alpha0_per_K, t_k)
            rows.append(par)
            states.append(
                {
                    "rho_t": par.density_kg_m3 * np.exp(-phi),
                    "kt_t": par.KT_GPa * np.exp(-par.delta_T * phi),
                    "g_t": par.G_GPa * np.exp(-par.Gamma * phi),
                    "alpha_t": alpha,
                }
            )
    par = pd.DataFrame(rows)
    state = pd.DataFrame(states)
    kprime, gprime = par.KT_prime.to_numpy(), par.G_prime.to_numpy()
    kt_t, g_t = state.kt_t.to_numpy(), state.g_t.to_numpy()
    f = _birch_murnaghan_strain(np.full(len(names), p_gpa), kt_t, kprime)
    compression = (1.0 + 2.0 * f) ** 2.5
    rho = state.rho_t.to_numpy() * (1.0 + 2.0 * f) ** 1.5
    kt = kt_t * compression * (1.0 + (3.0 * kprime - 5.0) * f)
    g = g_t * compression * (1.0 + (3.0 * kt_t * gprime / g_t - 5.0) * f)
    alpha = state.alpha_t.to_numpy() * (rho / state.rho_t.to_numpy()) ** (-par.delta_T.to_numpy())
    ks = kt * (1.0 + alpha * par.gruneisen.to_numpy() * t_k)
    return {"rho": rho, "K": ks, "G": g}


def rock_properties(modes: dict[str, float], p_gpa: float, t_c: float) -> dict[str, float]:
    """Voigt-Reuss-Hill density and moduli of a mineral aggregate at (P, T).

    Parameters
    ----------
    modes : dict
        Mineral code -> volume fraction (normalised here).
    p_gpa, t_c : float
        Pressure (GPa) and temperature (deg C).

    Returns
    -------
    dict of float
        ``rho`` (kg/m3), ``K``, ``G`` (GPa, VRH), ``vp``, ``vs`` (km/s).
    """
    v = np.array(list(modes.values()), dtype=float)
    v = v / v.sum()
    m = mineral_properties(list(modes), p_gpa, t_c)
    k = 0.5 * (v @ m["K"] + 1.0 / (v @ (1.0 / m["K"])))
    g = 0.5 * (v @ m["G"] + 1.0 / (v @ (1.0 / m["G"])))
    rho = float(v @ m["rho"])
    vp = np.sqrt((k + 4.0 * g / 3.0) * 1e9 / rho) / 1e3
    vs = np.sqrt(g * 1e9 / rho) / 1e3
    return {"rho": rho, "K": float(k), "G": float(g), "vp": float(vp), "vs": float(vs)}


@lru_cache(maxsize=4096)
def _lithology_at(name: str, p_gpa: float, t_c: float) -> tuple[float, float, float, float, float]:
    r = rock_properties(lithology_modes(name), p_gpa, t_c)
    return r["rho"], r["K"], r["G"], r["vp"], r["vs"]


def solid_properties(names: list[str] | None, p_gpa: float, t_c: float) -> xr.Dataset:
    """Solid (zero-porosity) properties of lithologies at (P, T), cached per (lithology, P, T).

    Parameters
    ----------
    names : list of str or None
        Lithology names (see :func:`list_lithologies`); None means all, in SiO2 order.
    p_gpa : float
        Pressure (GPa).
    t_c : float
        Temperature (deg C).

    Returns
    -------
    xarray.Dataset
        On dim ``lithology``: ``rho`` (kg/m3), ``K`` (adiabatic bulk modulus, GPa), ``G`` (GPa),
        ``vp``, ``vs`` (km/s), plus coordinate ``SiO2_wt``.
    """
    table = list_lithologies()
    names = list(table.index) if names is None else list(names)
    values = np.array([_lithology_at(n, float(p_gpa), float(t_c)) for n in names])
    attrs = {
        "rho": ("kg m-3", "solid density"),
        "K": ("GPa", "adiabatic bulk modulus (VRH)"),
        "G": ("GPa", "shear modulus (VRH)"),
        "vp": ("km s-1", "P-wave velocity"),
        "vs": ("km s-1", "S-wave velocity"),
    }
    data = {
        key: ("lithology", values[:, i], {"units": u, "long_name": ln})
        for i, (key, (u, ln)) in enumerate(attrs.items())
    }
    coords = {"lithology": names, "SiO2_wt": ("lithology", table.loc[names, "SiO2_wt"].to_numpy())}
    return xr.Dataset(data, coords=coords, attrs={"pressure_GPa": float(p_gpa), "temperature_C": float(t_c)})
