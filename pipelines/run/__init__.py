"""The run machinery."""
