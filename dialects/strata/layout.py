"""Blocked-layout (NCHWc) ops of the layout level."""
