"""finmon: real-time financial monitoring and the simulated bank that feeds it."""

__version__ = "0.1.0"

__all__ = ["__version__"]
