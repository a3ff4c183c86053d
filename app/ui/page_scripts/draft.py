"""Draft page (see app/ui/views/draft.py)."""

from app.ui.views.draft import render

render()
