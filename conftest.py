"""Repository-wide pytest setup: the fixtures that start real peers."""

pytest_plugins = ["cesdk.testing.fixtures"]
