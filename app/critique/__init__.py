"""The deterministic critique: a YAML rule catalogue run over the SOP template.

Public API: :func:`critique`, :func:`critique_draft`, :func:`blockers`,
:func:`load_catalogue` (see ``app/critique/catalogue.py``) and the parsers in
``app.critique.parse``.
"""

from app.critique.catalogue import Catalogue, CatalogueError, load_catalogue
from app.critique.engine import CritiqueResult, blockers, critique, critique_document, critique_draft, sort_flags

__all__ = ["Catalogue", "CatalogueError", "CritiqueResult", "blockers", "critique", "critique_document", "critique_draft",
           "load_catalogue", "sort_flags"]
