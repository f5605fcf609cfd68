"""The error of a question graphiam cannot answer as asked."""


class QueryError(ValueError):
    """A question graphiam cannot answer as asked (one line, for exit code 2)."""


def json_type(value: object) -> str:
    """The JSON name of ``value``'s type, for messages about a file that holds the wrong kind of value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "a list" if isinstance(value, list) else "an object"
