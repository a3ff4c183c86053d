"""Build glue that pyproject.toml cannot express: ship the top-level prompts/ and templates/ folders.

They stay at the repository root (the project's layout) and are installed inside the package
as ``app._prompts`` and ``app._templates``, which :mod:`app.assets` finds at run time.
"""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["app", "app.*", "ingest", "ingest.*"]), "app._prompts", "app._templates"],
    package_dir={"app._prompts": "prompts", "app._templates": "templates"},
)
