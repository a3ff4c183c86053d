"""The ``sopdraft`` command line (Typer). Commands call the same services as the UI."""
