"""Questions asked of the access graph: paths, reach, who-can, why not, and the verified fix.

- :mod:`.resolve`: what a person types (ARN, session ARN, name) to a graph node;
- :mod:`.paths`: shortest chains, reach and who-can, and their result values;
- :mod:`.explain`: the direct request's decision and the smallest verified fix;
- :mod:`.denied`: pasted AccessDenied texts;
- :mod:`.answer`: the whole answer to ``path`` and ``why``, as one value.

Results are values; nothing here prints.
"""
