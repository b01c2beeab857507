"""vidstyle: neural style transfer for film clips and photos."""

__version__ = "0.1.0"
