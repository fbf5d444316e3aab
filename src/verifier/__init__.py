"""Verifier: a workbench for verifying video evidence.

The package root holds only the version so that importing it is cheap and
never pulls in Qt or FFmpeg.
"""

__version__ = "0.1.0"
TOOL_NAME = "verifier"
