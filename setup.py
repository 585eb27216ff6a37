"""Package layout that pyproject.toml cannot express: ``testcases/`` stays at the repository
root (a reader finds the scenarios first) but installs as ``pytest_ocpp.testcases``, so the
wheel puts no generic top-level ``testcases`` package into site-packages. Everything else is
in pyproject.toml."""

from setuptools import find_packages, setup

setup(
    packages=find_packages(include=["pytest_ocpp", "pytest_ocpp.*"])
    + [f"pytest_ocpp.{name}" for name in find_packages(include=["testcases", "testcases.*"])],
    package_dir={"pytest_ocpp.testcases": "testcases"},
)
