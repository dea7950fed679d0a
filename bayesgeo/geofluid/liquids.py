"""Properties of the pore liquids at pressure and temperature: aqueous fluid and basaltic melt.

Everything here is a constant per (P, T) for the inversion: computed with NumPy (and ``iapws``) once,
cached, and passed to the differentiable rock-physics functions as arrays. Each law is a named entry in a
visible registry (``FLUID_CONDUCTIVITY_LAWS``, ``BRINE_LAWS``, ``MELT_CONDUCTIVITY_LAWS``,
``MELT_ELASTIC_LAWS``) and raises ``ValueError`` naming the variable and its accepted range when called
outside it; no law returns NaN or a negative value silently.

Units: pressure GPa, temperature deg C, salinity wt% NaCl, density kg/m3, moduli GPa, conductivity S/m.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import iapws
import numpy as np
import pandas as pd
import xarray as xr

from bayesgeo.geofluid._checks import check_range

__all__ = [
    "BRINE_LAWS",
    "FLUID_CONDUCTIVITY_LAWS",
    "MELT_CONDUCTIVITY_LAWS",
    "MELT_ELASTIC_LAWS",
    "MORB_COMPOSITION",
    "Law",
    "liquid_properties",
    "water_properties",
]

R_GAS = 8.314462618  # J/mol/K


@dataclass(frozen=True)
class Law:
    """A named empirical law with its accepted input ranges.

    ``ranges`` maps an input name ('pressure' GPa, 'temperature' deg C, 'salinity' wt%) to ``(lo, hi)``.
    Calling the law checks the ranges, evaluates ``func`` and checks the result is finite and positive.
    """

    name: str
    citation: str
    func: Callable[..., object]
    ranges: dict[str, tuple[float, float]]
    note: str = ""

    def __call__(self, p_gpa: float, t_c: float, **kwargs: float):
        units = {"pressure": "GPa", "temperature": "deg C", "salinity": "wt% NaCl"}
        values = {"pressure": p_gpa, "temperature": t_c, **kwargs}
        for key, (lo, hi) in self.ranges.items():
            check_range(key, values[key], lo, hi, units[key], f"{self.name} ({self.citation})")
        out = self.func(p_gpa, t_c, **kwargs)
        values = np.asarray(out, dtype=float)
        if not np.all(np.isfinite(values)) or np.any(values <= 0):
            raise ValueError(
                f"{self.name} gave a non-positive or non-finite value at P={p_gpa} GPa, T={t_c} C"
            )
        return out


# --- water (IAPWS-95) ---------------------------------------------------------------------------------


@lru_cache(maxsize=1024)
def _iapws95(p_gpa: float, t_c: float) -> tuple[float, float]:
    state = iapws.IAPWS95(P=1e3 * p_gpa, T=t_c + 273.15)
    return float(state.rho), float(state.rho * state.w**2 / 1e9)


WATER_RANGES = {"pressure": (1e-4, 5.0), "temperature": (0.0, 1200.0)}


def water_properties(p_gpa: float, t_c: float) -> tuple[float, float]:
    """Density (kg/m3) and adiabatic bulk modulus ``rho w^2`` (GPa) of pure water from IAPWS-95.

    Wagner & Pruss (2002, J. Phys. Chem. Ref. Data 31:387) via the ``iapws`` package. The formulation is
    valid to 1 GPa and 1000 C and extrapolates reasonably to 100 GPa (IAPWS R6-95); this function accepts
    P in [1e-4, 5] GPa and T in [0, 1200] C. Cached per (P, T).
    """
    check_range("pressure", p_gpa, *WATER_RANGES["pressure"], "GPa", "IAPWS-95 water")
    check_range("temperature", t_c, *WATER_RANGES["temperature"], "deg C", "IAPWS-95 water")
    return _iapws95(float(p_gpa), float(t_c))


# --- brine density and bulk modulus --------------------------------------------------------------------


def _pure_water(p_gpa: float, t_c: float, salinity: float) -> tuple[float, float]:
    return water_properties(p_gpa, t_c)


def _batzle_wang(p_gpa: float, t_c: float, salinity: float) -> tuple[float, float]:
    """Batzle & Wang (1992) eqs. 27a and 29: brine density and velocity increments over pure water.

    The pure-water terms come from IAPWS-95 instead of B&W's own fit; the salt increments are B&W's.
    """
    rho_w, k_w = water_properties(p_gpa, t_c)
    s, p, t = salinity / 100.0, 1e3 * p_gpa, t_c
    rho_w_gcc = rho_w / 1e3
    rho_b = rho_w_gcc + s * (
        0.668 + 0.44 * s + 1e-6 * (300 * p - 2400 * p * s + t * (80 + 3 * t - 3300 * s - 13 * p + 47 * p * s))
    )
    v_w = np.sqrt(k_w * 1e9 / rho_w)
    v_b = (
        v_w
        + s * (1170 - 9.6 * t + 0.055 * t**2 - 8.5e-5 * t**3 + 2.6 * p - 0.0029 * t * p - 0.0476 * p**2)
        + s**1.5 * (780 - 10 * p + 0.16 * p**2)
        - 1820 * s**2
    )
    return 1e3 * rho_b, 1e3 * rho_b * v_b**2 / 1e9


BRINE_LAWS: dict[str, Law] = {
    "pure_water": Law(
        "pure_water",
        "IAPWS-95, Wagner & Pruss 2002",
        _pure_water,
        {"salinity": (0.0, 30.0)},
        note="salinity ignored for density and bulk modulus; at 5 wt% NaCl a brine is a few % denser, "
        "which changes Vp of rock with 5 % porosity by < 0.01 km/s",
    ),
    "batzle_wang_1992": Law(
        "batzle_wang_1992",
        "Batzle & Wang 1992, Geophysics 57:1396",
        _batzle_wang,
        {"pressure": (1e-4, 0.1), "temperature": (0.0, 350.0), "salinity": (0.0, 30.0)},
        note="fitted to 350 C and 100 MPa; not valid at mid-crustal P-T",
    ),
}


# --- aqueous fluid conductivity ------------------------------------------------------------------------


def _lambda0_nacl(t_k, rho_gcc):
    """Molar conductivity of NaCl at infinite dilution (S cm2/mol), Sinmyo & Keppler (2017) eq. 4."""
    return 1573.0 - 1212.0 * rho_gcc + 537062.0 / t_k - 208122721.0 / t_k**2


def _keppler_log10_sigma(t_k, rho_gcc, salinity, a: float, b: float, c: float, d: float):
    """log10 sigma (S/m) of NaCl-bearing water, form of Sinmyo & Keppler (2017) and Guo & Keppler (2019).

    ``log10 sigma = a + b/T + c log10(wt% NaCl) + d log10(rho_w) + log10(Lambda0(T, rho_w))``, T in K,
    ``rho_w`` the density of pure water (g/cm3) at (P, T).
    """
    lam = _lambda0_nacl(t_k, rho_gcc)
    return a + b / t_k + c * np.log10(salinity) + d * np.log10(rho_gcc) + np.log10(lam)


def _keppler_form(a: float, b: float, c: float, d: float) -> Callable[..., float]:
    """:func:`_keppler_log10_sigma` with the water density of IAPWS-95 (:func:`water_properties`)."""

    def law(p_gpa: float, t_c: float, salinity: float) -> float:
        rho_gcc = water_properties(p_gpa, t_c)[0] / 1e3
        return 10.0 ** _keppler_log10_sigma(t_c + 273.15, rho_gcc, salinity, a, b, c, d)

    return law


_SAKUMA_GAMMA = np.array(
    [
        [[-2.76823e-12, 2.86668e-11, -1.01120e-11], [6.32515e-9, -6.35950e-9, 2.14326e-8],
         [-2.92588e-6, 2.69121e-5, -9.20740e-6]],
        [[6.52051e-9, -7.43514e-8, 2.23618e-8], [-1.47966e-5, 1.67038e-4, -4.54299e-5],
         [6.88977e-3, -7.25629e-2, 1.89836e-2]],
        [[-2.60077e-6, 3.64027e-5, -7.50611e-6], [6.12874e-3, -9.01143e-2, 1.51621e-2],
         [-3.17282, 50.2186, -6.22277]],
    ]
)  # fmt: skip


def _sakuma_ichiki(p_gpa: float, t_c: float, salinity: float) -> float:
    """Sakuma & Ichiki (2016) eqs. 5-7: sigma = sum_i alpha_i P^(2-i), alpha_i = sum_j beta_ij T^(2-j),
    beta_ij = sum_k gamma_ijk c^(2-k); P in MPa, T in K, c in wt% NaCl (molecular-dynamics fit)."""
    c, t_k, p_mpa = salinity, t_c + 273.15, 1e3 * p_gpa
    powers = np.array([2, 1, 0])
    beta = _SAKUMA_GAMMA @ (c**powers)
    alpha = beta @ (t_k**powers)
    return float(alpha @ (p_mpa**powers))


FLUID_CONDUCTIVITY_LAWS: dict[str, Law] = {
    "sinmyo_keppler_2017": Law(
        "sinmyo_keppler_2017",
        "Sinmyo & Keppler 2017, Contrib. Mineral. Petrol. 172:4",
        _keppler_form(-1.7060, -93.78, 0.8075, 3.0781),
        {"pressure": (0.1, 2.0), "temperature": (100.0, 1000.0), "salinity": (0.001, 30.0)},
        note="measured to 600 C and 1 GPa; extrapolated above (their Fig. 9 extends to 1400 C)",
    ),
    "guo_keppler_2019": Law(
        "guo_keppler_2019",
        "Guo & Keppler 2019, J. Geophys. Res. 124:1397",
        _keppler_form(-0.919, -872.5, 0.852, 7.61),
        {"pressure": (0.3, 5.0), "temperature": (100.0, 1000.0), "salinity": (0.001, 30.0)},
        note="measured 1-5 GPa, to 900 C; below 1 GPa it is an extrapolation. Steep in water density "
        "(sigma ~ rho^7.6 Lambda0): with IAPWS-95 (0.705 g/cm3) it gives 5.55 S/m for 5 wt% NaCl at "
        "0.545 GPa, 828.5 C; the ~6.5 S/m quoted elsewhere (e.g. the pide package) comes from the "
        "Sanchez-Valle (2013) water-density fit, 0.722 g/cm3 there. bayesgeo keeps IAPWS-95, which is "
        "inside its validity range here",
    ),
    "sakuma_ichiki_2016": Law(
        "sakuma_ichiki_2016",
        "Sakuma & Ichiki 2016, J. Geophys. Res. 121:577",
        _sakuma_ichiki,
        {"pressure": (0.2, 2.0), "temperature": (400.0, 1700.0), "salinity": (0.6, 9.6)},
        note="fit to molecular-dynamics results, 0.2-2 GPa, 673-2000 K, 0.6-9.6 wt% NaCl",
    ),
}


# --- basaltic melt -------------------------------------------------------------------------------------

MORB_COMPOSITION: dict[str, float] = {
    "SiO2": 50.47, "TiO2": 1.68, "Al2O3": 14.70, "Fe2O3": 0.0, "FeO": 10.43,
    "MgO": 7.58, "CaO": 11.39, "Na2O": 2.79, "K2O": 0.16, "H2O": 0.0,
}  # fmt: skip
"""All-MORB mean (Gale et al. 2013, G-cubed 14:489), oxide wt%; FeO is total iron; MnO, P2O5 dropped."""


@lru_cache(maxsize=1)
def _melt_volume_table() -> pd.DataFrame:
    with resources.files("bayesgeo.geofluid").joinpath("data", "melt_partial_molar_volumes.csv").open() as fh:
        return pd.read_csv(fh, comment="#").set_index("oxide")


def _lange_carmichael(p_gpa: float, t_c: float, composition: dict[str, float] | None = None):
    """Melt density (kg/m3) and isothermal bulk modulus -V/(dV/dP) (GPa) from partial molar volumes."""
    table = _melt_volume_table()
    wt = pd.Series(MORB_COMPOSITION if composition is None else composition, dtype=float)
    wt = wt.reindex(table.index, fill_value=0.0)
    moles = wt / table.molar_mass
    x = moles / moles.sum()
    t_k, p_bar = t_c + 273.15, 1e4 * p_gpa
    v = table.V + table.dVdT * (t_k - table.T_ref_K) + table.dVdP * (p_bar - 1.0)
    volume = float(x @ v)
    rho = 1e3 * float(x @ table.molar_mass) / volume
    k_t = -volume / float(x @ table.dVdP) / 1e4
    return rho, k_t


def _constant_melt(p_gpa: float, t_c: float, composition: dict[str, float] | None = None):
    return 2700.0, 17.0


MELT_ELASTIC_LAWS: dict[str, Law] = {
    "lange_carmichael": Law(
        "lange_carmichael",
        "Lange & Carmichael 1987; Kress & Carmichael 1991; Ochs & Lange 1999, as compiled by Iacovino & "
        "Till 2019 (Volcanica 2:1)",
        _lange_carmichael,
        {"pressure": (0.0, 3.0), "temperature": (700.0, 1700.0)},
        note="linear V(P) calibrated to 3 GPa; K is the isothermal -V/(dV/dP); below the liquidus the melt "
        "is treated as a supercooled liquid",
    ),
    "constant": Law(
        "constant",
        "documented constants: rho = 2700 kg/m3, K = 17 GPa (basaltic melt near 1 bar)",
        _constant_melt,
        {"pressure": (0.0, 3.0), "temperature": (0.0, 1700.0)},
    ),
}


def _tyburczy_waff(p_gpa: float, t_c: float) -> float:
    """Dry tholeiite melt, Arrhenius with activation volume; two pressure regimes split at 0.9 GPa."""
    low = p_gpa < 0.9
    sigma0, energy, dvolume = (1.12e5, 112e3, 4.6) if low else (2.15e5, 153e3, -0.06)
    return sigma0 * np.exp(-(energy + dvolume * 1e3 * p_gpa) / (R_GAS * (t_c + 273.15)))


def _ni_2011(p_gpa: float, t_c: float, h2o_wt: float = 0.0) -> float:
    """Ni, Keppler & Behrens (2011) VFT law for hydrous basaltic melt (diverges as T -> 1146.8 K)."""
    return 10.0 ** (2.172 - (860.82 - 204.46 * np.sqrt(h2o_wt)) / (t_c + 273.15 - 1146.8))


MELT_CONDUCTIVITY_LAWS: dict[str, Law] = {
    "tyburczy_waff_1983": Law(
        "tyburczy_waff_1983",
        "Tyburczy & Waff 1983, J. Geophys. Res. 88:2413 (Hawaiian tholeiite)",
        _tyburczy_waff,
        {"pressure": (0.0, 2.5), "temperature": (700.0, 1600.0)},
        note="Arrhenius (sigma0, E, dV as tabulated in the pide package); measured on the liquid above "
        "about 1200 C, extrapolated below as a supercooled melt",
    ),
    "ni_2011": Law(
        "ni_2011",
        "Ni, Keppler & Behrens 2011, Contrib. Mineral. Petrol. 162:637",
        _ni_2011,
        {"pressure": (0.0, 3.0), "temperature": (1200.0, 1650.0)},
        note="VFT form, calibrated 1473-1923 K; diverges below about 874 C, so it is refused there",
    ),
}


# --- assembled liquid properties -----------------------------------------------------------------------


def liquid_properties(
    p_gpa: float,
    t_c: float,
    salinity_wt: float = 5.0,
    fluid_law: str = "sinmyo_keppler_2017",
    melt_law: str = "tyburczy_waff_1983",
    brine_law: str = "pure_water",
    melt_elastic_law: str = "lange_carmichael",
) -> xr.Dataset:
    """Density, bulk modulus and conductivity of the two pore liquids at (P, T).

    Parameters
    ----------
    p_gpa, t_c : float
        Pressure (GPa) and temperature (deg C).
    salinity_wt : float
        NaCl content of the aqueous fluid (wt%).
    fluid_law, melt_law, brine_law, melt_elastic_law : str
        Keys of ``FLUID_CONDUCTIVITY_LAWS``, ``MELT_CONDUCTIVITY_LAWS``, ``BRINE_LAWS`` and
        ``MELT_ELASTIC_LAWS``.

    Returns
    -------
    xarray.Dataset
        On dim ``liquid`` = ['aqueous', 'melt']: ``rho`` (kg/m3), ``K`` (GPa), ``sigma`` (S/m).
    """
    registries = {
        "fluid_law": (FLUID_CONDUCTIVITY_LAWS, fluid_law),
        "melt_law": (MELT_CONDUCTIVITY_LAWS, melt_law),
        "brine_law": (BRINE_LAWS, brine_law),
        "melt_elastic_law": (MELT_ELASTIC_LAWS, melt_elastic_law),
    }
    for field, (registry, key) in registries.items():
        if key not in registry:
            raise ValueError(f"unknown {field} {key!r}; expected one of {', '.join(registry)}")
    rho_f, k_f = BRINE_LAWS[brine_law](p_gpa, t_c, salinity=salinity_wt)
    sigma_f = FLUID_CONDUCTIVITY_LAWS[fluid_law](p_gpa, t_c, salinity=salinity_wt)
    rho_m, k_m = MELT_ELASTIC_LAWS[melt_elastic_law](p_gpa, t_c)
    sigma_m = MELT_CONDUCTIVITY_LAWS[melt_law](p_gpa, t_c)
    return xr.Dataset(
        {
            "rho": ("liquid", [rho_f, rho_m], {"units": "kg m-3", "long_name": "liquid density"}),
            "K": ("liquid", [k_f, k_m], {"units": "GPa", "long_name": "liquid bulk modulus"}),
            "sigma": ("liquid", [sigma_f, sigma_m], {"units": "S m-1", "long_name": "liquid conductivity"}),
        },
        coords={"liquid": ["aqueous", "melt"]},
        attrs={
            "pressure_GPa": float(p_gpa),
            "temperature_C": float(t_c),
            "salinity_wt": float(salinity_wt),
            "fluid_law": fluid_law,
            "melt_law": melt_law,
            "brine_law": brine_law,
            "melt_elastic_law": melt_elastic_law,
        },
    )
