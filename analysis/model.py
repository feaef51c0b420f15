"""Loading a trained MACE model as an ASE calculator, with clear errors for bad model files."""

from __future__ import annotations

import hashlib
import warnings
from pathlib import Path

from ase import Atoms


class ModelError(RuntimeError):
    """A model file that is missing, unreadable or made for other species."""


def file_sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def device() -> str:
    """CUDA when a GPU is present, otherwise the CPU."""
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def import_mace() -> None:
    """Import mace-torch without its import-time print (that the optional cuequivariance kernels are absent; they
    are not used here), which otherwise heads every notebook's output."""
    import contextlib
    import io

    with contextlib.redirect_stdout(io.StringIO()):
        import mace.tools.cg  # noqa: F401 - the module that prints


def device_label() -> str:
    """The device that evaluates the model, as run records keep it: "cpu" or "cuda:<GPU name>"."""
    import torch

    return f"cuda:{torch.cuda.get_device_name(0)}" if device() == "cuda" else "cpu"


# what torch, e3nn and mace print on every model load (deprecations of torch.jit, the weights_only default), which
# filled the executed notebooks with a hundred lines each
LOAD_NOTICES = (r"`torch\.jit\.(load|script)` is deprecated", r"Environment variable TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD")


def load_calculator(model_path: Path, dtype: str = "float32", species: tuple[str, ...] = ("Li", "P", "S"),
                    compile_mode: str | None = None):
    """MACE ASE calculator for ``model_path``, checked to cover ``species``.

    ``compile_mode`` (e.g. "default") runs the model through ``torch.compile``: about 30 s of compilation,
    then 1.2-1.3x more MD steps/s for one run alone on this CPU, 1.0-1.2x for two side by side (``make bench``);
    forces agree with eager mode to ~5e-6 eV/Å.
    """
    model_path = Path(model_path)
    if not model_path.exists():
        raise ModelError(f"{model_path}: model file not found")
    extra = {"compile_mode": compile_mode} if compile_mode else {}
    with warnings.catch_warnings():  # the libraries' notices on every load, not the study's own warnings
        for notice in LOAD_NOTICES:
            warnings.filterwarnings("ignore", message=notice)
        import_mace()
        from mace.calculators import MACECalculator

        try:
            calc = MACECalculator(model_paths=str(model_path), device=device(), default_dtype=dtype, **extra)
        except Exception as exc:  # noqa: BLE001 - torch raises many types for a corrupt file
            raise ModelError(f"{model_path}: cannot load MACE model ({type(exc).__name__}: {exc})") from None
    model_numbers = {int(z) for z in calc.z_table.zs}
    needed = {int(Atoms(s).numbers[0]) for s in species}
    if not needed <= model_numbers:
        raise ModelError(
            f"{model_path}: model trained for atomic numbers {sorted(model_numbers)}, "
            f"this system needs {sorted(needed)}"
        )
    return calc


def main(argv: list[str] | None = None) -> int:
    """``python -m analysis.model check MODEL``: load the model and check its species."""
    import sys

    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 2 or argv[0] != "check":
        print(main.__doc__, file=sys.stderr)
        return 2
    try:
        calc = load_calculator(Path(argv[1]))
    except ModelError as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 1
    print(f"{argv[1]}: MACE model for atomic numbers {sorted(int(z) for z in calc.z_table.zs)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
