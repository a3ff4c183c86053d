"""Prompt files (top-level ``prompts/``), rendered strictly: a missing variable is an error."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import jinja2
import yaml


def prompts_dir() -> Path:
    """The folder of prompt files (the repository's ``prompts/``, or its copy in an installed package)."""
    from app.assets import data_dir

    return data_dir("prompts", "sections.yaml")


@lru_cache(maxsize=4)
def _environment(folder: str) -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(folder),
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # prompts are plain text; sources are fenced, not escaped
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_prompt(name: str, /, **variables: object) -> str:
    """Render ``prompts/<name>`` with ``variables``; undefined variables raise."""
    return _environment(str(prompts_dir())).get_template(name).render(**variables).strip() + "\n"


def load_prompt_data(name: str) -> dict:
    """Load a YAML data file from ``prompts/``."""
    return yaml.safe_load((prompts_dir() / name).read_text(encoding="utf-8"))
