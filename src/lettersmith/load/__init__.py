"""Loading and validation: the workspace's files read, checked and turned into the model."""
