"""Content analysis stages: the per-clip analysis pipeline (and, as they land,
landmark matching, audio sync and consistency checks). Plain inputs and
outputs; the services store the results."""
