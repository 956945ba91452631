"""CloudEvents conformance suite for cesdk."""
