"""Errors shared by backends."""


class ArtifactError(ValueError):
    """A file that is not a loadable artifact: garbage, truncated, or another format/version."""
