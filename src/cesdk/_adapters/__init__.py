"""Adapters built into core: memory, console, file, generator."""
