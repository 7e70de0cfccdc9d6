"""Resolve and compose: a loaded workspace and one letter into the text every output shares."""
