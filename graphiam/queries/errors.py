"""The error of a question graphiam cannot answer as asked."""


class QueryError(ValueError):
    """A question graphiam cannot answer as asked (one line, for exit code 2)."""
