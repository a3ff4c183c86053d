"""Review page (see app/ui/views/review.py)."""

from app.ui.views.review import render

render()
