"""Build the AWS Lambda deployment artifact: a zip, or a container image when too big.

``build_lambda_package`` installs aws2bq's runtime dependencies for the chosen Lambda runtime
and architecture with ``pip install --target --platform manylinux2014_<arch>
--only-binary=:all: --python-version X.Y`` (wheels only, so nothing is compiled for the wrong
platform), copies the ``aws2bq`` package beside them, prunes what is never imported at run
time (tests, C++ headers, pyarrow's Flight and Substrait libraries), and zips the result.

Lambda's limits (Lambda quotas, "Deployment package (.zip file archive) size"): 50 MB zipped
for a direct upload (larger zips go through S3, which the template does), and **250 MB
unzipped, including layers** — a hard limit. When the unpacked size exceeds 250 MB, no zip
is written: a ``Dockerfile`` for a container image based on
``public.ecr.aws/lambda/python:<version>`` is written instead (images may be up to 10 GB).

boto3/botocore are **left out** by default and the Lambda runtime's copy is used. Measured
(python3.11/x86_64): the other runtime dependencies already take ~210 MB of the 250 MB
(pyarrow ~105 MB, DuckDB ~60 MB, grpc ~18 MB); boto3 + botocore add ~32 MB, which leaves no
headroom and tips arm64/python3.12 over the limit. The runtime's SDK is kept current by AWS and
has every API aws2bq calls (incremental exports date from 2023). ``include_boto3=True``
(``--include-boto3``) bundles a pinned SDK when that matters more than the headroom.
"""

from __future__ import annotations

import importlib.metadata
import logging
import os
import re
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from aws2bq.errors import Aws2BqError, ConfigError

Runtime = Literal["python3.11", "python3.12", "python3.13"]
Architecture = Literal["x86_64", "arm64"]
RUNTIMES: tuple[str, ...] = ("python3.11", "python3.12", "python3.13")
ARCHITECTURES: tuple[str, ...] = ("x86_64", "arm64")

#: Lambda: unzipped deployment package incl. layers (262,144,000 bytes, "250 MB").
MAX_UNZIPPED_BYTES = 250 * 1024 * 1024
#: Lambda: zip uploaded directly through the API; larger zips must come from S3.
MAX_DIRECT_UPLOAD_BYTES = 50 * 1024 * 1024
_MACHINE = {"x86_64": "x86_64", "arm64": "aarch64"}
#: Lambda python3.11 runs on Amazon Linux 2 (glibc 2.26): manylinux2014 (glibc 2.17) wheels
#: only. python3.12+ run on Amazon Linux 2023 (glibc 2.34), so manylinux_2_28 wheels work too
#: (newer pyarrow and duckdb releases ship only those).
_GLIBC_TAGS = {
    "python3.11": ("manylinux2014",),
    "python3.12": ("manylinux2014", "manylinux_2_28"),
    "python3.13": ("manylinux2014", "manylinux_2_28"),
}
#: Dependencies the runtime provides; only left out on request (see the module docstring).
_SDK = {"boto3", "botocore", "s3transfer", "jmespath"}
#: Dependencies only the DuckDB warehouse uses (numpy: DuckDB's Python functions; isal: the
#: DuckDB stager's gzip inflate). A Lambda function loads into BigQuery — a DuckDB file in
#: /tmp would vanish with the sandbox — so they are left out unless asked for: ~100 MB of the
#: 250 MB budget.
_DUCKDB_ONLY = {"duckdb", "numpy", "isal"}
#: Files not needed at run time, removed from the unpacked package to save space.
_PRUNE_DIRS = {"__pycache__", "tests", "test"}
#: Byte code (Lambda compiles on import), stubs, and Cython sources.
_PRUNE_SUFFIXES = (".pyc", ".pyi", ".pyx", ".pxd", ".pxi")
#: pyarrow's C++ headers and sources, and its Flight (RPC) module, which neither aws2bq,
#: DuckDB nor google-cloud-bigquery import and no other pyarrow library links against
#: (checked with readelf: pyarrow.lib needs libarrow_substrait, so Substrait must stay):
#: ~22 MB of the 250 MB budget.
_PRUNE_GLOBS = (
    "pyarrow/include",
    "pyarrow/src",
    "pyarrow/libarrow_flight.so*",
    "pyarrow/_flight.*",
    "pyarrow/flight.py",
)

Pip = Callable[[list[str]], None]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PackageRequest:
    """What to build."""

    runtime: Runtime = "python3.11"
    arch: Architecture = "x86_64"
    output_dir: Path = Path("dist")
    #: aws2bq extras to include; BigQuery is what Lambda loads into.
    extras: tuple[str, ...] = ("bigquery",)
    #: Bundle boto3/botocore instead of using the Lambda runtime's (see the module docstring).
    include_boto3: bool = False
    #: Bundle DuckDB (and numpy) for a DuckDB warehouse inside Lambda (rarely useful).
    include_duckdb: bool = False
    #: A config file to bundle as ``aws2bq.toml`` (then AWS2BQ_CONFIG=/var/task/aws2bq.toml).
    config: Path | None = None
    #: Wheels/requirements to install on top (e.g. a pinned constraint).
    extra_requirements: tuple[str, ...] = ()


@dataclass
class PackageResult:
    """What was built and how it measures against Lambda's limits."""

    kind: Literal["zip", "image"]
    #: The unpacked tree (what Lambda unzips into /var/task, or what the image copies).
    package_dir: Path
    unzipped_bytes: int
    #: The zip (kind "zip") or the Dockerfile (kind "image").
    artifact: Path
    zipped_bytes: int | None = None
    requirements: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "artifact": str(self.artifact),
            "package_dir": str(self.package_dir),
            "unzipped_bytes": self.unzipped_bytes,
            "zipped_bytes": self.zipped_bytes,
            "unzipped_limit_bytes": MAX_UNZIPPED_BYTES,
            "requirements": self.requirements,
            "notes": self.notes,
        }


def runtime_requirements(
    extras: Iterable[str], *, include_boto3: bool = True, include_duckdb: bool = True
) -> list[str]:
    """aws2bq's runtime requirements (with the chosen extras) from its installed metadata.

    Examples:
        >>> any(r.startswith("duckdb") for r in runtime_requirements(["bigquery"]))
        True
    """
    wanted = set(extras)
    try:
        declared = importlib.metadata.requires("aws2bq") or []
    except importlib.metadata.PackageNotFoundError as exc:
        raise Aws2BqError(
            "aws2bq is not installed as a distribution, so its requirements are unknown",
            hint="pip install -e . (or install aws2bq) before `aws2bq package`",
        ) from exc
    out = []
    for line in declared:
        spec, _, marker = line.partition(";")
        marker = marker.strip()
        if marker:
            match = re.fullmatch(r"""extra\s*==\s*["']([\w.-]+)["']""", marker)
            if match is None or match.group(1) not in wanted:
                continue
        spec = spec.strip()
        name = re.split(r"[\s\[<>=!~;]", spec, maxsplit=1)[0].lower()
        if name == "aws2bq":
            continue
        if not include_boto3 and name in _SDK:
            continue
        if not include_duckdb and name in _DUCKDB_ONLY:
            continue
        out.append(spec)
    return out


def build_lambda_package(request: PackageRequest, *, pip: Pip | None = None) -> PackageResult:
    """Build the artifact for ``request`` (see the module docstring).

    Args:
        request: runtime, architecture, output folder and options.
        pip: runs ``pip`` with the given arguments (default: this interpreter's pip).

    Raises:
        ConfigError: an unknown runtime or architecture, or a missing config file.
        Aws2BqError: pip failed (its output is in the message).
    """
    if request.runtime not in RUNTIMES:
        raise ConfigError(f"unknown runtime {request.runtime!r}", hint=f"use {RUNTIMES}")
    if request.arch not in ARCHITECTURES:
        raise ConfigError(f"unknown architecture {request.arch!r}", hint=f"use {ARCHITECTURES}")
    if request.config is not None and not request.config.is_file():
        raise ConfigError(f"config file {str(request.config)!r} does not exist")
    try:
        return _build(request, pip)
    except OSError as exc:
        where = exc.filename or request.output_dir
        raise ConfigError(
            f"cannot write the Lambda artifact at {where}: {exc.strerror or exc}",
            hint="choose an --output folder the user running aws2bq can write",
        ) from None


def _build(request: PackageRequest, pip: Pip | None) -> PackageResult:
    name = f"aws2bq-lambda-{request.runtime}-{request.arch}"
    out = request.output_dir
    package_dir = out / name
    if package_dir.exists():
        shutil.rmtree(package_dir)
    package_dir.mkdir(parents=True)

    requirements = [
        *runtime_requirements(
            request.extras,
            include_boto3=request.include_boto3,
            include_duckdb=request.include_duckdb,
        ),
        *request.extra_requirements,
    ]
    python_version = request.runtime.removeprefix("python")
    platforms = [
        arg
        for tag in _GLIBC_TAGS[request.runtime]
        for arg in ("--platform", f"{tag}_{_MACHINE[request.arch]}")
    ]
    (pip or _run_pip)(
        [
            "install",
            "--target",
            str(package_dir),
            *platforms,
            "--implementation",
            "cp",
            "--python-version",
            python_version,
            "--only-binary=:all:",
            "--no-compile",
            "--disable-pip-version-check",
            *requirements,
        ]
    )
    _copy_aws2bq(package_dir / "aws2bq")
    if request.config is not None:
        shutil.copyfile(request.config, package_dir / "aws2bq.toml")
    _prune(package_dir)
    unzipped = tree_size(package_dir)
    notes = []
    if not request.include_boto3:
        notes.append("boto3/botocore left out: the Lambda runtime's copy is used")
    if not request.include_duckdb:
        notes.append("duckdb/numpy/isal left out: a Lambda function loads into BigQuery")
    if unzipped > MAX_UNZIPPED_BYTES:
        dockerfile = write_dockerfile(out / f"{name}.Dockerfile", request, package_dir)
        notes.append(
            f"unpacked size {_mb(unzipped)} exceeds Lambda's 250 MB limit for zip packages: "
            f"wrote {dockerfile.name} for a container image instead (build it with "
            f"`docker build --platform {_docker_platform(request.arch)} -f {dockerfile} {out}`, "
            "push it to ECR, deploy with ImageUri)"
        )
        return PackageResult("image", package_dir, unzipped, dockerfile, None, requirements, notes)
    if unzipped > MAX_UNZIPPED_BYTES * 0.9:
        notes.append(
            f"unpacked size {_mb(unzipped)} is within 10% of Lambda's 250 MB limit"
            + (
                "; leaving boto3 out (--exclude-boto3) saves ~30 MB"
                if request.include_boto3
                else ""
            )
        )
    zip_path = out / f"{name}.zip"
    zipped = write_zip(package_dir, zip_path)
    if zipped > MAX_DIRECT_UPLOAD_BYTES:
        notes.append(
            f"zip is {_mb(zipped)}, above the 50 MB direct-upload limit: upload it to S3 and "
            "deploy with CodeS3Bucket/CodeS3Key (as deploy/template.yaml does)"
        )
    return PackageResult("zip", package_dir, unzipped, zip_path, zipped, requirements, notes)


def write_zip(source: Path, target: Path) -> int:
    """Zip ``source``'s contents (deterministic order and timestamps); return the zip size."""
    if target.exists():
        target.unlink()
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for path in sorted(source.rglob("*")):
            if path.is_dir():
                continue
            info = zipfile.ZipInfo(path.relative_to(source).as_posix(), (1980, 1, 1, 0, 0, 0))
            # Keep the execute bit (shared libraries, console scripts); Lambda needs 0o644+.
            mode = 0o755 if os.access(path, os.X_OK) else 0o644
            info.external_attr = (0o100000 | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            with path.open("rb") as fh:
                zf.writestr(info, fh.read())
    return target.stat().st_size


def write_dockerfile(path: Path, request: PackageRequest, package_dir: Path) -> Path:
    """A Dockerfile copying the built tree into the AWS Lambda Python base image."""
    version = request.runtime.removeprefix("python")
    path.write_text(
        "# Built by `aws2bq package`: the zip would exceed Lambda's 250 MB unzipped limit.\n"
        f"# docker build --platform {_docker_platform(request.arch)} -f {path.name} .\n"
        f"FROM --platform={_docker_platform(request.arch)} "
        f"public.ecr.aws/lambda/python:{version}\n"
        f"COPY {package_dir.name}/ ${{LAMBDA_TASK_ROOT}}/\n"
        'CMD ["aws2bq.lambda_handler.handler"]\n',
        encoding="utf-8",
    )
    return path


def tree_size(root: Path) -> int:
    """Total size in bytes of the files under ``root`` (what Lambda counts when unzipped)."""
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file() and not p.is_symlink())


def _copy_aws2bq(target: Path) -> None:
    import aws2bq

    source = Path(aws2bq.__file__).resolve().parent
    shutil.copytree(
        source,
        target,
        # The sandbox and test helpers need moto and friends, never present on Lambda. The
        # DuckDB stager's native scanner was compiled for this machine, not for Lambda's
        # platform; without it, that stager parses with pyarrow (arrow_scan.py).
        ignore=shutil.ignore_patterns(
            "__pycache__", "*.pyc", "sandbox", "testing", "*.so", "*.c", "*.pyd"
        ),
    )


def _prune(root: Path) -> None:
    for pattern in _PRUNE_GLOBS:
        for path in root.glob(pattern):
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink()
    for path in sorted(root.rglob("*"), reverse=True):
        if path.is_dir() and path.name in _PRUNE_DIRS:
            shutil.rmtree(path, ignore_errors=True)
        elif path.is_file() and path.suffix in _PRUNE_SUFFIXES:
            path.unlink()


def _run_pip(args: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pip", *args], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        log.debug("pip %s failed:\n%s", " ".join(args), result.stderr)
        errors = [line for line in result.stderr.splitlines() if line.startswith("ERROR")]
        said = errors[-1] if errors else result.stderr.strip().splitlines()[-1:] or [""]
        raise Aws2BqError(
            f"pip failed (exit {result.returncode}): {''.join(said)[:300]}",
            hint="check network access to the package index and that every dependency has a "
            "wheel for this runtime and architecture (aws2bq -v shows pip's output)",
        )


def _docker_platform(arch: str) -> str:
    return "linux/amd64" if arch == "x86_64" else "linux/arm64"


def _mb(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB"
