"""The version of artgan, apart from the package root so that every layer can read it."""

__version__ = "0.2.0"
