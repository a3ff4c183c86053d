"""Grounded drafting: per-section evidence, constrained citations, verification, regeneration."""
