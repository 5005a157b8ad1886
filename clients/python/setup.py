"""The build step of framewise-client: the protobuf/gRPC code is generated from the .proto
contracts while the distribution is built, never committed.

`python -m grpc_tools.protoc` (grpcio-tools, a build requirement in pyproject.toml) writes
`framewise/<service>/v1/*_pb2.py`, `*_pb2.pyi` and `*_pb2_grpc.py`:

- into the wheel's build directory for `pip install ./clients/python` (and `pip wheel`,
  `python -m build`), so the source tree stays as it is;
- into this folder for an editable install (`pip install -e clients/python`, what the
  Makefile does), where the import system finds them beside `framewise/client/`; they are
  git-ignored, and installing again regenerates them.

The contracts are read from `protos/` here when present (an sdist carries a copy), else
from the repository's `protos/` two levels up.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.command.sdist import sdist

HERE = Path(__file__).resolve().parent


def find_protos() -> Path:
    for candidate in (HERE / "protos", HERE.parent.parent / "protos"):
        if (candidate / "framewise").is_dir():
            return candidate
    raise SystemExit(f"framewise-client: no protos/framewise next to {HERE} or two levels "
                     "up; build from the repository (or from its sdist)")


def generate(out: Path) -> None:
    """Generates the Python code of every framewise/**/*.proto under `out`, and the
    `__init__.py` of each generated package (never over one that is there)."""
    protos = find_protos()
    sources = sorted(str(p.relative_to(protos)) for p in (protos / "framewise").rglob("*.proto"))
    out.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "grpc_tools.protoc", f"-I{protos}",
                    f"--python_out={out}", f"--pyi_out={out}", f"--grpc_python_out={out}",
                    *sources], check=True)
    for source in sources:
        package = (out / source).parent
        while package != out / "framewise":
            (package / "__init__.py").touch(exist_ok=True)
            package = package.parent


class BuildPyWithStubs(build_py):
    def run(self) -> None:
        super().run()
        generate(HERE if self.editable_mode else Path(self.build_lib))


class SdistWithProtos(sdist):
    def make_release_tree(self, base_dir: str, files: list[str]) -> None:
        super().make_release_tree(base_dir, files)
        target = Path(base_dir) / "protos"
        if not target.exists():
            shutil.copytree(find_protos() / "framewise", target / "framewise")


setup(cmdclass={"build_py": BuildPyWithStubs, "sdist": SdistWithProtos})
