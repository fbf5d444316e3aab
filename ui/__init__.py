"""What the window is dressed with: its style sheet, SVG icons and Qt Designer
forms. Shipped inside the wheel as ``verifier.ui`` (see pyproject.toml)."""
