"""`aws2bq package`: the Lambda artifact fits Lambda's limits and the handler imports from it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from aws2bq.packaging import (
    MAX_UNZIPPED_BYTES,
    PackageRequest,
    build_lambda_package,
    runtime_requirements,
)


def test_runtime_requirements_come_from_the_metadata() -> None:
    names = [
        r.split(">")[0].split("=")[0].split("[")[0] for r in runtime_requirements(["bigquery"])
    ]
    assert {"duckdb", "pyarrow", "pydantic", "boto3", "google-cloud-bigquery"} <= set(names)
    assert not {"moto", "pytest", "cfn-lint", "aws2bq"} & set(names)
    without_sdk = runtime_requirements(["bigquery"], include_boto3=False)
    assert not [r for r in without_sdk if r.startswith(("boto3", "botocore"))]
    assert not [r for r in runtime_requirements([]) if r.startswith("google-cloud-bigquery")]


@pytest.mark.parametrize(
    ("runtime", "arch", "platforms"),
    [
        ("python3.11", "x86_64", ["manylinux2014_x86_64"]),
        ("python3.12", "arm64", ["manylinux2014_aarch64", "manylinux_2_28_aarch64"]),
    ],
)
def test_pip_is_asked_for_wheels_of_the_lambda_platform(
    tmp_path: Path, runtime: str, arch: str, platforms: list[str]
) -> None:
    seen: list[list[str]] = []
    build_lambda_package(
        PackageRequest(runtime=runtime, arch=arch, output_dir=tmp_path),  # type: ignore[arg-type]
        pip=seen.append,
    )
    [args] = seen
    assert [args[i + 1] for i, a in enumerate(args) if a == "--platform"] == platforms
    assert args[args.index("--python-version") + 1] == runtime.removeprefix("python")
    assert "--only-binary=:all:" in args


def test_too_big_for_a_zip_gives_a_dockerfile_instead(tmp_path: Path) -> None:
    def fat_pip(args: list[str]) -> None:
        target = Path(args[args.index("--target") + 1])
        # A sparse file: counts towards the size like Lambda counts, costs no disk.
        with (target / "huge.bin").open("wb") as fh:
            fh.truncate(MAX_UNZIPPED_BYTES + 1)

    result = build_lambda_package(
        PackageRequest(runtime="python3.12", arch="arm64", output_dir=tmp_path), pip=fat_pip
    )
    assert result.kind == "image"
    assert not list(tmp_path.glob("*.zip"))
    dockerfile = result.artifact.read_text()
    assert "FROM --platform=linux/arm64 public.ecr.aws/lambda/python:3.12" in dockerfile
    assert 'CMD ["aws2bq.lambda_handler.handler"]' in dockerfile
    assert "250 MB" in " ".join(result.notes)


def test_the_artifact_leaves_out_the_sandbox_and_test_helpers(tmp_path: Path) -> None:
    # No dependency is installed (pip does nothing): the zip holds aws2bq alone, and the
    # handler is imported from it with this interpreter's dependencies behind it.
    result = build_lambda_package(PackageRequest(output_dir=tmp_path), pip=lambda args: None)
    assert result.kind == "zip"
    with zipfile.ZipFile(result.artifact) as zf:
        names = zf.namelist()
        task = tmp_path / "var-task"
        zf.extractall(task)
    assert "aws2bq/lambda_handler.py" in names
    assert "aws2bq/runner/run.py" in names
    leaked = [n for n in names if n.startswith(("aws2bq/sandbox/", "aws2bq/testing/"))]
    assert leaked == []
    script = f"""
import sys
sys.path.insert(0, {str(task)!r})
import aws2bq.lambda_handler, aws2bq.cli.run, aws2bq.runner.run
import aws2bq.warehouses.duckdb.client, aws2bq.warehouses.bigquery.client
assert aws2bq.__file__.startswith({str(task)!r}), aws2bq.__file__
try:
    import aws2bq.sandbox
    raise SystemExit("aws2bq.sandbox is importable from the artifact")
except ModuleNotFoundError:
    pass
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]


def test_unknown_runtime_is_a_config_error(tmp_path: Path) -> None:
    from aws2bq.errors import ConfigError

    with pytest.raises(ConfigError, match="unknown runtime"):
        build_lambda_package(
            PackageRequest(runtime="python3.9", output_dir=tmp_path),  # type: ignore[arg-type]
            pip=lambda args: None,
        )


@pytest.mark.slow
def test_the_built_zip_fits_lambda_and_the_handler_runs_from_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The artifact's pip takes the versions of the Lambda lock (scripts/lock.sh), so what CI
    # builds and runs cannot change overnight with a new release.
    lock = Path(__file__).parents[3] / "constraints-lambda.txt"
    monkeypatch.setenv("PIP_CONSTRAINT", str(lock))
    config = tmp_path / "aws2bq.toml"
    config.write_text('[streams.orders]\ntable = "Orders"\nexport_bucket = "exports-1"\n')
    result = build_lambda_package(
        PackageRequest(runtime="python3.11", arch="x86_64", output_dir=tmp_path, config=config)
    )
    print(json.dumps(result.to_dict(), indent=1))  # sizes end up in the test log
    assert result.kind == "zip", result.notes
    assert result.unzipped_bytes <= MAX_UNZIPPED_BYTES
    # Unpack the zip itself (not the build folder) as Lambda does into /var/task.
    task = tmp_path / "var-task"
    with zipfile.ZipFile(result.artifact) as zf:
        assert sum(i.file_size for i in zf.infolist()) <= MAX_UNZIPPED_BYTES
        apart = ("aws2bq/sandbox/", "aws2bq/testing/")
        assert not [n for n in zf.namelist() if n.startswith(apart)]
        zf.extractall(task)
    # -I: ignore PYTHON* variables and the user site; -S: no site-packages at all. Only the
    # unpacked artifact (and the standard library) is importable. boto3 is not in it (the
    # Lambda runtime provides it), and the handler must not need it to start.
    script = f"""
import sys, json
sys.path.insert(0, {str(task)!r})
import aws2bq, aws2bq.lambda_handler, pyarrow.parquet, google.cloud.bigquery
import aws2bq.warehouses.bigquery.client, aws2bq.runner.run
try:
    import duckdb
    raise SystemExit("duckdb is in the artifact although Lambda loads into BigQuery")
except ModuleNotFoundError:
    pass
assert aws2bq.__file__.startswith({str(task)!r}), aws2bq.__file__
assert "site-packages" not in " ".join(sys.path)
try:
    import boto3
    raise SystemExit("boto3 leaked in from outside the artifact")
except ModuleNotFoundError:
    pass
summary = aws2bq.lambda_handler.handler(
    {{"stream": "orders"}}, None,
    run_streams=lambda config, streams, wait: {{"ran": streams, "wait": wait}},
    environ={{"AWS2BQ_CONFIG": {str(task / "aws2bq.toml")!r}}},
)
print(json.dumps(summary))
"""
    done = subprocess.run(
        [sys.executable, "-I", "-S", "-c", script],
        capture_output=True,
        text=True,
        env={"PATH": os.environ.get("PATH", "")},
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["result"] == {"ran": ["orders"], "wait": False}
