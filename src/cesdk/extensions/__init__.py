"""Typed helpers for the documented CloudEvents extensions."""
