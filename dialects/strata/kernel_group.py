"""The fused-kernel group op: graph ops that become one kernel."""
