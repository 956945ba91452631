pytest_plugins = ["cesdk.testing.fixtures"]
