"""TOML model specs: loading, dotted-key overrides, validation helpers and the case registry.

A spec has the sections ``[model]``, ``[data]``, ``[priors.NAME]``, ``[switches]``, ``[inference]`` and
``[output]`` (see ``docs/specs.md``). Everything here raises :class:`~bayesgeo.errors.SpecError` with one
sentence naming the field; case modules use the same helpers for their own sections.
"""

from __future__ import annotations

import importlib
import math
import tomllib
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import tomli_w
from pymc_extras.prior import Prior

from bayesgeo.errors import SpecError

SECTIONS = ("model", "data", "priors", "switches", "inference", "output")
METHODS = ("auto", "nuts", "smc", "exact", "map", "vi")
LATENT = ("auto", "laplace", "ep")

#: Case name -> module implementing ``prepare``, ``fit``, ``figures``, ``demo_spec`` (imported lazily).
CASES = {
    "denoise": "bayesgeo.denoise.case",
    "drift.hazard": "bayesgeo.drift.hazard_case",
    "drift.source": "bayesgeo.drift.inverse.case",
    "geofluid.field": "bayesgeo.geofluid.field",
    "geofluid.point": "bayesgeo.geofluid.case",
}


@dataclass(frozen=True)
class Inference:
    """How to fit: method, sampler sizes and the seed (the same seed gives the same numbers)."""

    method: str = "auto"
    draws: int = 1000
    tune: int = 1000
    chains: int = 2
    seed: int = 0
    quick: bool = False
    progress: bool = False
    latent: str = "auto"  # latent-field approximation of the Laplace fast path (geofluid.field): laplace | ep


@dataclass(frozen=True)
class Spec:
    """A validated spec: the merged dict, the folder its relative paths refer to, and its TOML text."""

    raw: dict
    base_dir: Path

    @property
    def text(self) -> str:
        return tomli_w.dumps(self.raw)

    @property
    def case(self) -> str:
        return self.raw["model"]["case"]

    @property
    def variant(self) -> str | None:
        return self.raw["model"].get("variant")

    def section(self, name: str) -> dict:
        return self.raw.get(name, {})

    @property
    def inference(self) -> Inference:
        return inference_settings(self.section("inference"))

    def path(self, field: str, value: Any) -> Path:
        """Resolve a data file path (relative to the spec file) and check that it exists."""
        if not isinstance(value, str | Path):
            raise SpecError(field, f"expected a file path, got {value!r}")
        p = Path(value)
        p = p if p.is_absolute() else self.base_dir / p
        if not p.is_file():
            raise SpecError(field, f"file not found: {p}")
        return p


def parse_value(text: str) -> Any:
    """Parse an override value as a TOML literal (``200``, ``1e-3``, ``true``, ``[1, 2]``); else a string."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def set_dotted(d: dict, key: str, value: Any) -> None:
    """Set ``d["a"]["b"]["c"] = value`` for ``key = "a.b.c"``, creating tables on the way."""
    *head, last = key.split(".")
    if not last or not all(head):
        raise SpecError(key, "override keys are dotted names like 'inference.draws'")
    for part in head:
        d = d.setdefault(part, {})
        if not isinstance(d, dict):
            raise SpecError(key, f"'{part}' is a value, not a table, so it has no '{key.split('.')[-1]}'")
    d[last] = value


def load_spec(spec: str | Path | dict, overrides: dict[str, Any] | None = None) -> Spec:
    """Read a spec from a TOML path or a dict and apply dotted-key overrides.

    String override values are parsed as TOML literals, so ``{"inference.draws": "200"}`` and
    ``{"inference.draws": 200}`` mean the same.
    """
    if isinstance(spec, dict):
        raw, base = _copy(spec), Path.cwd()
    else:
        path = Path(spec)
        if not path.is_file():
            raise SpecError("spec", f"file not found: {path}")
        try:
            raw = tomllib.loads(path.read_text())
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise SpecError("spec", f"{path} is not valid TOML ({exc})") from None
        base = path.resolve().parent
    for key, value in (overrides or {}).items():
        set_dotted(raw, key, parse_value(value) if isinstance(value, str) else value)
    check_keys(raw, SECTIONS, "spec")
    model = raw.get("model")
    if not isinstance(model, dict) or "case" not in model:
        raise SpecError("model.case", f"missing; expected one of {sorted(CASES)}")
    if model["case"] not in CASES:
        raise SpecError("model.case", f"unknown case {model['case']!r}; expected one of {sorted(CASES)}")
    check_keys(model, ("case", "variant"), "model")
    out = Spec(raw=raw, base_dir=base)
    out.inference  # noqa: B018 - validates the section early
    if "latent" in out.section("inference") and model["case"] != "geofluid.field":
        raise SpecError("inference.latent", "only geofluid.field has a latent-field approximation to choose")
    check_keys(raw.get("output", {}), ("dir", "figures"), "output")
    return out


def _copy(d: Any) -> Any:
    if isinstance(d, dict):
        return {str(k): _copy(v) for k, v in d.items()}
    if isinstance(d, list | tuple):
        return [_copy(v) for v in d]
    return d


def check_keys(table: Any, allowed: tuple[str, ...] | list[str], where: str) -> None:
    """Raise for a section that is not a table or holds a key not in ``allowed``."""
    if not isinstance(table, dict):
        raise SpecError(where, f"expected a table, got {table!r}")
    for key in table:
        if key not in allowed:
            raise SpecError(f"{where}.{key}", f"unknown key; expected one of {sorted(allowed)}")


def inference_settings(table: dict) -> Inference:
    check_keys(table, tuple(Inference.__dataclass_fields__), "inference")
    method = table.get("method", "auto")
    if method not in METHODS:
        raise SpecError("inference.method", f"unknown method {method!r}; expected one of {list(METHODS)}")
    sizes = {
        k: integer(f"inference.{k}", table[k], minimum=m)
        for k, m in (("draws", 1), ("tune", 0), ("chains", 1), ("seed", 0))
        if k in table
    }
    flags = {k: flag(f"inference.{k}", table[k]) for k in ("quick", "progress") if k in table}
    latent = choice("inference.latent", table.get("latent", "auto"), LATENT)
    return Inference(method=method, **sizes, **flags, latent=latent)


def integer(field: str, value: Any, minimum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise SpecError(field, f"expected an integer, got {value!r}")
    if minimum is not None and value < minimum:
        raise SpecError(field, f"expected an integer >= {minimum}, got {value}")
    return value


def flag(field: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise SpecError(field, f"expected true or false, got {value!r}")
    return value


def number(
    field: str,
    value: Any,
    *,
    low: float | None = None,
    high: float | None = None,
    strict: bool = False,
    unit: str = "",
) -> float:
    """A finite real number in ``[low, high]`` (open at ``low`` when ``strict``); units named in the error."""
    unit_txt = f" {unit}" if unit else ""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise SpecError(field, f"expected a finite number{unit_txt}, got {value!r}")
    if low is not None and (value < low or (strict and value == low)):
        rel = ">" if strict else ">="
        raise SpecError(field, f"expected a number {rel} {low}{unit_txt}, got {value}")
    if high is not None and value > high:
        raise SpecError(field, f"expected a number <= {high}{unit_txt}, got {value}")
    return float(value)


def choice(field: str, value: Any, options: tuple[str, ...] | list[str]) -> str:
    if value not in options:
        raise SpecError(field, f"unknown value {value!r}; expected one of {list(options)}")
    return value


def prior_from_dict(field: str, table: Any) -> Prior:
    """A ``pymc_extras`` :class:`Prior` from ``{dist = "HalfNormal", sigma = 0.5}`` (nesting allowed)."""
    if isinstance(table, Prior):
        return table
    if not isinstance(table, dict) or "dist" not in table:
        raise SpecError(field, f'expected a table like {{dist = "HalfNormal", sigma = 1.0}}, got {table!r}')
    kwargs = {}
    for key, value in table.items():
        if key == "dist":
            continue
        if isinstance(value, dict):
            kwargs[key] = prior_from_dict(f"{field}.{key}", value)
        elif isinstance(value, bool) or not isinstance(value, int | float | list):
            raise SpecError(f"{field}.{key}", f"expected a number, a list or a nested prior, got {value!r}")
        else:
            kwargs[key] = value
    try:
        return Prior(table["dist"], **kwargs)
    except Exception as exc:  # noqa: BLE001 - pymc_extras raises several types for bad names/params
        raise SpecError(field, f"invalid prior ({str(exc).splitlines()[0]})") from None


def merge_priors(defaults: dict[str, Prior], table: dict, where: str = "priors") -> dict[str, Prior]:
    """Defaults overridden by the spec's ``[priors.NAME]`` tables; an unknown NAME is an error."""
    check_keys(table, tuple(defaults), where)
    return defaults | {name: prior_from_dict(f"{where}.{name}", t) for name, t in table.items()}


def get_case(name: str) -> ModuleType:
    """The case-study module registered under ``name``."""
    return importlib.import_module(CASES[name])
