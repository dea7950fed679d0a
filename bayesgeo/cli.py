"""The ``bayesgeo`` command: ``fit``, ``compare``, ``demo`` and registry listings.

Bad input exits with code 2 and one line on stderr naming the field; nothing is written in that case.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np

from bayesgeo.errors import SpecError


def _overrides(args: argparse.Namespace) -> dict[str, str]:
    out = {}
    for item in args.set or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise SpecError("--set", f"expected key=value, got {item!r}")
        out[key.strip()] = value.strip()
    if getattr(args, "seed", None) is not None:
        out["inference.seed"] = str(args.seed)
    if getattr(args, "quick", False):
        out["inference.quick"] = "true"
    return out


def _out_dir(args: argparse.Namespace, spec_path: str) -> Path:
    if args.out:
        return Path(args.out)
    from bayesgeo.spec import load_spec

    table = load_spec(spec_path).section("output")
    return Path(table.get("dir", Path("out") / Path(spec_path).stem))


def format_summary(tree) -> str:
    """A short human summary: scalars with 90 % intervals, switch probabilities, convergence."""
    from bayesgeo.diagnostics import convergence_report

    s = tree["summary"].to_dataset()
    a = tree.attrs
    lines = [
        f"{a.get('case', '')} / {a.get('variant', '')}  method={a.get('inference_method', '')}  "
        f"seed={a.get('seed')}  wall time {float(a.get('wall_time_s', np.nan)):.1f} s"
    ]
    for name, da in s.data_vars.items():
        if name.endswith(("_sd", "_q05", "_q95")) or name.startswith("p_"):
            continue
        if da.ndim == 0:
            lines.append(
                f"  {name:<14} {float(da):.4g} ± {float(s[name + '_sd']):.2g}  "
                f"90% [{float(s[name + '_q05']):.4g}, {float(s[name + '_q95']):.4g}] "
                f"{da.attrs.get('units', '')}"
            )
        else:
            lines.append(
                f"  {name:<14} field {dict(da.sizes)}, mean s.d. {float(s[name + '_sd'].mean()):.3g}"
            )
    for name, da in s.data_vars.items():
        if name.startswith("p_"):
            dim = da.dims[0]
            top = da.sortby(da, ascending=False)[:5]
            items = ", ".join(
                f"{lab}={float(p):.3f}" for lab, p in zip(top[dim].values, top.values, strict=True)
            )
            lines.append(f"  {name:<14} {items}")
    for key in ("psnr_db", "psnr_map_db", "log_evidence"):
        if key in a and np.isfinite(float(a[key])):
            lines.append(f"  {key:<14} {float(a[key]):.2f}")
    if "posterior" in tree.children:
        lines.append("  " + str(convergence_report(tree)).replace("\n", "\n  "))
    return "\n".join(lines)


def cmd_fit(args: argparse.Namespace) -> int:
    from bayesgeo.api import fit_spec
    from bayesgeo.io import save_figures, write_result
    from bayesgeo.spec import get_case

    out = _out_dir(args, args.spec)
    tree = fit_spec(args.spec, **_overrides(args))
    path = write_result(tree, out)
    figs = [] if args.no_figures else save_figures(get_case(tree.attrs["case"]).figures(tree), out)
    print(format_summary(tree))
    print(f"wrote {path}" + (f" and {len(figs)} figures" if figs else ""))
    return 0


def _vary(args: argparse.Namespace) -> dict[str, list[str]]:
    """``--vary KEY=V1,V2,...`` options as ``{KEY: [V1, V2, ...]}`` (values parsed later like ``--set``)."""
    out = {}
    for item in args.vary or []:
        key, sep, values = item.partition("=")
        key, items = key.strip(), split_values(values)
        if not sep or not key or not all(items):
            raise SpecError("--vary", f"expected KEY=V1,V2,... (no empty value), got {item!r}")
        if key in out:
            raise SpecError("--vary", f"{key!r} is varied twice; give all its values in one --vary")
        out[key] = items
    return out


def split_values(text: str) -> list[str]:
    """Split ``a,b,[1, 2],"c,d"`` at the commas outside brackets and quotes; items stripped."""
    items, depth, quote, start = [], 0, "", 0
    for i, ch in enumerate(text):
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
        elif ch == "," and depth == 0:
            items.append(text[start:i].strip())
            start = i + 1
    return [*items, text[start:].strip()]


def cmd_compare(args: argparse.Namespace) -> int:
    from bayesgeo.api import compare
    from bayesgeo.io import atomic_path, save_figure
    from bayesgeo.plots import plot_compare

    table = compare(
        args.specs,
        score=args.score,
        vary=_vary(args),
        holdout=args.holdout,
        holdout_seed=args.holdout_seed,
        **_overrides(args),
    )
    print(table.to_string())
    print(f"score: {table.attrs['method']}")
    if args.out:
        out, fig = Path(args.out), plot_compare(table).figure  # drawn first: no CSV without its figure
        with atomic_path(out / "compare.csv") as tmp:
            table.to_csv(tmp)
        save_figure(fig, out / "compare.png")
        print(f"wrote {out / 'compare.csv'} and {out / 'compare.png'}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from bayesgeo.api import fit_spec
    from bayesgeo.io import save_figures, write_result
    from bayesgeo.spec import CASES, get_case

    root = Path(args.out)
    for name in CASES:
        case = get_case(name)
        if not hasattr(case, "demo_spec"):
            continue
        print(f"== {name}")
        tree = fit_spec(case.demo_spec(), **({"inference.quick": True} if args.quick else {}))
        out = root / name.replace(".", "_")
        write_result(tree, out)
        save_figures(case.figures(tree), out)
        print(format_summary(tree))
        print(f"wrote {out}")
    return 0


class _Parser(argparse.ArgumentParser):
    """Usage errors as one line on stderr, exit code 2."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message}\n")


def cmd_calibrate(args: argparse.Namespace) -> int:
    from bayesgeo.api import calibrate
    from bayesgeo.calibration import plot_ranks, uniformity
    from bayesgeo.io import atomic_path, save_figure

    ranks = calibrate(args.spec, n=args.n, progress=True, **_overrides(args))
    test = uniformity(ranks)
    for name in test.data_vars:
        chi2, dof, p = test[name].values
        print(
            f"{name:<10} chi2 = {chi2:6.2f} on {dof:.0f} dof, p = {p:.3f}  "
            f"{'uniform ranks' if p > 0.01 else 'NOT uniform: the posterior is miscalibrated'}"
        )
    if args.out:
        out = Path(args.out)
        with atomic_path(out / "sbc.nc") as tmp:
            ranks.to_netcdf(tmp, engine="h5netcdf")
        save_figure(plot_ranks(ranks).flat[0].figure, out / "sbc_ranks.png")
        print(f"wrote {out / 'sbc.nc'} and {out / 'sbc_ranks.png'}")
    return 0


def cmd_lithologies(args: argparse.Namespace) -> int:
    from bayesgeo.geofluid import list_lithologies

    table = list_lithologies()
    print(table.drop(columns=[] if args.sources else ["source"]).to_string())
    print(f"{len(table)} lithologies, by decreasing bulk SiO2 (wt%); modes in vol%")
    return 0


def parser() -> argparse.ArgumentParser:
    from bayesgeo import __version__

    p = _Parser(prog="bayesgeo", description=__doc__.splitlines()[0])
    p.add_argument("--version", action="version", version=f"bayesgeo {__version__}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    def common(q):
        q.add_argument(
            "--set", action="append", metavar="KEY=VALUE", help="override a spec value (dotted key)"
        )
        q.add_argument("--seed", type=int, help="random seed (same seed, same numbers)")
        q.add_argument("--quick", action="store_true", help="fewer draws/iterations for a fast look")

    f = sub.add_parser("fit", help="fit a TOML spec; write DIR/result.nc and figures")
    f.add_argument("spec")
    f.add_argument("--out", help="output folder (default: [output] dir, else out/SPEC_NAME)")
    f.add_argument("--no-figures", action="store_true", help="write result.nc only")
    common(f)
    f.set_defaults(func=cmd_fit)
    c = sub.add_parser("compare", help="fit several specs (or one with --vary) and rank them")
    c.add_argument("specs", nargs="+")
    c.add_argument(
        "--score",
        default="auto",
        help="auto (default: exact evidence when every spec has one, else held-out when every case has it, "
        "else PSIS-LOO), evidence, heldout or loo",
    )
    c.add_argument(
        "--vary",
        action="append",
        metavar="KEY=V1,V2,...",
        help="compare each spec with KEY set to each value (TOML literals, like --set); repeat for every "
        "combination",
    )
    c.add_argument("--holdout", type=float, default=0.05, help="fraction of data points held out (0-0.5]")
    c.add_argument("--holdout-seed", type=int, default=0, help="seed of the held-out points")
    c.add_argument("--out", help="write DIR/compare.csv and DIR/compare.png (default: print only)")
    common(c)
    c.set_defaults(func=cmd_compare)
    k = sub.add_parser(
        "calibrate", help="simulation-based calibration: refit prior draws, test rank uniformity"
    )
    k.add_argument("spec")
    k.add_argument("--n", type=int, default=100, help="number of replications")
    k.add_argument("--out", help="folder for sbc.nc and sbc_ranks.png")
    common(k)
    k.set_defaults(func=cmd_calibrate)
    d = sub.add_parser("demo", help="run the built-in case studies quickly (no data files needed)")
    d.add_argument("--out", default="demo-output")
    d.add_argument("--quick", action="store_true", help="fewer draws")
    d.set_defaults(func=cmd_demo)
    g = sub.add_parser("lithologies", help="list the lithologies of the geofluid cases (names for specs)")
    g.add_argument("--sources", action="store_true", help="also show where each mode comes from")
    g.set_defaults(func=cmd_lithologies)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except SpecError as exc:
        print(f"bayesgeo: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("bayesgeo: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - one line for users; BAYESGEO_DEBUG=1 shows the traceback
        if os.environ.get("BAYESGEO_DEBUG"):
            raise
        first = str(exc).splitlines()[0] if str(exc) else ""
        print(
            f"bayesgeo: internal error: {type(exc).__name__}: {first} (set BAYESGEO_DEBUG=1 for details)",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())
