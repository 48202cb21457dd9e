"""Command-line tools: opt-tool, conformance and benchmark scripts."""
