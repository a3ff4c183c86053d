"""Sources page (see app/ui/views/sources.py)."""

from app.ui.views.sources import render

render()
