"""Exception types for user-facing errors.

Anything derived from :class:`SVEMathError` is a problem with the user's input (a bad file, an unknown
name, a wrong shape); the command line prints it as one line on stderr and exits non-zero, with no
traceback. Bugs stay ordinary exceptions.
"""


class SVEMathError(Exception):
    """Base class of errors caused by user input, reported as one clear line."""


class ConfigError(SVEMathError, ValueError):
    """A configuration value, recipe or override is invalid."""


class UnknownNameError(SVEMathError, KeyError):
    """A registry lookup failed; the message lists the known names."""

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return str(self.args[0]) if self.args else ""


class ImageLoadError(SVEMathError):
    """An image file is missing, corrupt, truncated, too large or not an image."""


class DataFormatError(SVEMathError):
    """A dataset file is malformed; the message names file:line and the reason."""


class ShapeError(SVEMathError, ValueError):
    """A tensor or input has the wrong shape or count (e.g. <image> tokens vs features)."""


class CheckpointError(SVEMathError):
    """A checkpoint directory is missing, incomplete or incompatible."""
