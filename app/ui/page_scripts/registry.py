"""Registry page (see app/ui/views/registry.py)."""

from app.ui.views.registry import render

render()
