"""cesdk kubernetes adapter."""
