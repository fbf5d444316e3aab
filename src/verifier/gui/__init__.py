"""The PySide6 workbench: the only package of Verifier that imports Qt.

Widgets here are a thin layer over :mod:`verifier.services`; all data work
runs through :class:`verifier.gui.tasks.TaskRunner`, off the UI thread.
"""
