"""specialops: run a company's special operations from the terminal."""

__version__ = "0.1.0"
