"""Review workflow, durable store and registry export of approved SOPs.

Modules: :mod:`.store` (SQLite: drafts, versions, waivers, approvals, audit chain),
:mod:`.workflow` (states and sign-off rules), :mod:`.diff` (section-by-section diffs),
:mod:`.render` (canonical Markdown), :mod:`.export` (Markdown, DOCX, JSON registry),
:mod:`.review` (review cycle and source drift). Import what you need from those modules;
this package imports nothing heavy on its own.
"""
