"""Sign-in page (see app/ui/views/login.py)."""

from app.ui.views.login import render

render()
