"""Presentation: HTML access maps and Jupyter reprs."""
