"""What people see: text for the command line, HTML for notebooks, maps, pandas frames, exports.

Presentation receives result values (:mod:`graphiam.queries`), the snapshot
and the networkx graph; it never sees the :class:`~graphiam.access.AccessGraph`
facade and decides nothing. pandas and pyvis are imported only by
:mod:`.frames` and :mod:`.map`, when they are used.
"""
