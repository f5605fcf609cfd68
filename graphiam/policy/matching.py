"""Matching of actions, resources and principals, and policy variables.

AWS rules (../shared/aws-semantics.md, rules 2, 3 and 15):
- actions match case-insensitively, with ``*`` (any run) and ``?`` (one character);
- resources match case-sensitively with the same wildcards, in any segment;
- a principal ARN in a Principal element is matched exactly (only a lone ``*``
  is a wildcard), and a unique id such as ``AROA...`` matches nobody;
- ``${key}`` in a Resource or condition value is replaced by the request's
  value for that key before matching; ``${*}``, ``${?}``, ``${$}`` are the
  literal characters, and ``${key, 'default'}`` gives a default.
"""

from __future__ import annotations

import re
from collections import deque
from functools import lru_cache
from typing import Callable, Literal, Sequence

UNIQUE_ID_PREFIXES = ("AIDA", "AROA", "AGPA", "ANPA", "AIPA", "ASIA", "AKIA")


# -- wildcard patterns ------------------------------------------------------------
#
# A pattern is compiled once (lru_cache) into a matcher: a function of the text. Nothing here hands a
# whole pattern to a backtracking regex (``a*a*a*...b`` would take exponential time in ``re``): the
# pattern is split on ``*`` into segments (runs of literals and ``?``, each of a fixed length), and
# the classic greedy glob algorithm matches them: the first segment at the start of the text, the
# last at its end, the ones between leftmost and in order, each found after the previous one ends.
# Since a segment has a fixed length, the leftmost place is always the best one, so no choice is
# ever undone. Literal segments are found with ``str.startswith``/``endswith``/``find``; a segment
# holding ``?`` is a regex of literals and ``.`` with no repetition (matched at one place, or
# searched once): O(len(text) * len(segment)) at worst, O(len(text) * len(pattern)) for the pattern.
#
# Case-insensitive matching keeps ``re.IGNORECASE``'s rules character for character: an ASCII
# pattern against an ASCII text is matched lower-cased (where the two agree exactly), anything
# else with the segments compiled as ``re.IGNORECASE`` regexes.

_FLAGS = re.DOTALL
_Segment = tuple[str | re.Pattern[str], int]  # a literal, or the regex of a segment holding "?"; its length


def _regex_piece(c: str) -> str:
    """One pattern character as ``re`` syntax (a segment's regex: only ``?`` and literals reach it)."""
    if c == "?":
        return "."
    return re.escape(restore_literals(c))


def _segment(raw: str, flags: int) -> _Segment:
    """A ``*``-free piece of a pattern: its literal text, or, with ``?`` or ``flags``, its regex."""
    if "?" not in raw and not flags & re.IGNORECASE:
        return restore_literals(raw), len(raw)
    return re.compile("".join(_regex_piece(c) for c in raw), flags), len(raw)


def _always(value: str) -> bool:
    return True


def _segments_matcher(pattern: str, flags: int) -> Callable[[str], bool]:
    """The matcher of a pattern holding ``*`` or ``?``, any segment a regex (see :func:`_segment`)."""
    parts = pattern.split("*")
    if len(parts) == 1:  # only "?": one segment, the whole text; a regex without repetition
        whole = re.compile("".join(_regex_piece(c) for c in pattern), flags)
        return lambda value: whole.fullmatch(value) is not None
    head_raw, *middle_raw, tail_raw = parts
    first = _segment(head_raw, flags) if head_raw else None
    last = _segment(tail_raw, flags) if tail_raw else None
    middles = tuple(_segment(m, flags) for m in middle_raw if m)  # "**" is "*"
    least = len(head_raw) + len(tail_raw) + sum(length for _, length in middles)

    def match(value: str) -> bool:
        end = len(value)
        if end < least:
            return False
        pos = 0
        if first is not None:
            segment, pos = first
            if segment.__class__ is str:
                if not value.startswith(segment):
                    return False
            elif segment.match(value) is None:
                return False
        if last is not None:
            segment, length = last
            end -= length
            if segment.__class__ is str:
                if not value.endswith(segment):
                    return False
            elif segment.match(value, end) is None:
                return False
        for segment, length in middles:
            if segment.__class__ is str:
                found = value.find(segment, pos, end)
                if found < 0:
                    return False
                pos = found + length
            else:
                hit = segment.search(value, pos, end)
                if hit is None:
                    return False
                pos = hit.end()
        return True

    return match


@lru_cache(maxsize=4096)
def _unicode_matcher(pattern: str) -> Callable[[str], bool]:
    """Case-insensitive, for a non-ASCII text: every segment an ``re.IGNORECASE`` regex."""
    return _segments_matcher(pattern, _FLAGS | re.IGNORECASE)


def _literal_matcher(head: str, middles: tuple[str, ...], tail: str) -> Callable[[str], bool]:
    """``head*middle*...*tail``, all literal, case-sensitive: ``str`` methods only, one shape per count of
    middles so the common ones cost a call or two. The head must start the text, the tail end it, each
    middle be found leftmost after the previous one ends, and none of them overlap."""
    after = len(head)
    if not middles:  # one "*" in effect: the common shapes
        if not tail:
            return lambda value: value.startswith(head)
        if not head:
            return lambda value: value.endswith(tail)
        return lambda value: value.startswith(head) and value.endswith(tail, after)  # tail after the head
    tail_length = len(tail)
    if len(middles) == 1:  # "arn:aws:iam::*:role/*"
        middle = middles[0]
        if not tail:
            return lambda value: value.startswith(head) and value.find(middle, after) >= 0
        room = tail_length + len(middle)  # the middle must end before the tail starts
        return lambda value: (value.startswith(head) and value.endswith(tail)
                              and 0 <= value.find(middle, after) <= len(value) - room)
    segments = tuple((middle, len(middle)) for middle in middles)

    def match(value: str) -> bool:
        if not value.startswith(head) or not value.endswith(tail):
            return False
        pos = after
        for segment, length in segments:  # leftmost, in order: a later place would only leave less room
            pos = value.find(segment, pos)
            if pos < 0:
                return False
            pos += length
        return pos <= len(value) - tail_length  # the last middle ends before the tail starts

    return match


def _star_matcher(source: str, folded_from: str | None) -> Callable[[str], bool]:
    """The matcher of a pattern holding ``*`` and no ``?``: every segment a literal.

    With ``folded_from`` (the pattern before ``source = pattern.lower()``, all ASCII) it is
    case-insensitive: an ASCII text is matched lower-cased (exactly what ``re.IGNORECASE`` does
    for ASCII against ASCII), any other by :func:`_unicode_matcher`.
    """
    head_raw, *middle_raw, tail_raw = source.split("*")
    head, tail = restore_literals(head_raw), restore_literals(tail_raw)
    middles = tuple(restore_literals(m) for m in middle_raw if m)  # "**" is "*"
    if not head and not tail and not middles:
        return _always
    if folded_from is None:
        return _literal_matcher(head, middles, tail)
    other = folded_from
    if not middles:  # the common action shapes ("sts:*", "iam:Pass*", "*Role"), in one call
        if not tail:
            return lambda value: value.lower().startswith(head) if value.isascii() else _unicode_matcher(other)(value)
        if not head:
            return lambda value: value.lower().endswith(tail) if value.isascii() else _unicode_matcher(other)(value)
        after = len(head)
        return lambda value: ((value := value.lower()).startswith(head) and value.endswith(tail, after)
                              if value.isascii() else _unicode_matcher(other)(value))
    plain = _literal_matcher(head, middles, tail)
    return lambda value: plain(value.lower()) if value.isascii() else _unicode_matcher(other)(value)


@lru_cache(maxsize=65536)
def _matcher(pattern: str, ignore_case: bool) -> Callable[[str], bool]:
    """The compiled matcher of a pattern holding ``*`` or ``?`` (see :func:`wildcard_match`)."""
    if "?" in pattern:
        return _segments_matcher(pattern, _FLAGS | (re.IGNORECASE if ignore_case else 0))
    if not ignore_case:
        return _star_matcher(pattern, None)
    if not restore_literals(pattern).isascii():
        return _unicode_matcher(pattern)
    return _star_matcher(pattern.lower(), pattern)  # lower() leaves "*" and the markers alone


def wildcard_match(pattern: str, value: str, ignore_case: bool = False) -> bool:
    """``*`` matches any run of characters, ``?`` exactly one.

    Wildcard characters that came from a substituted variable value (see
    :func:`substitute_variables`) match only themselves. Time is linear in
    ``value`` times the pattern's length at worst, whatever the pattern.
    """
    if "*" not in pattern and "?" not in pattern:
        pattern = restore_literals(pattern)
        return pattern.lower() == value.lower() if ignore_case else pattern == value
    return _matcher(pattern, ignore_case)(value)


def wildcard_matcher(pattern: str, ignore_case: bool = False) -> Callable[[str], bool]:
    """``lambda value: wildcard_match(pattern, value, ignore_case)``, compiled once: for one pattern
    matched against many values."""
    if "*" not in pattern and "?" not in pattern:
        literal = restore_literals(pattern)
        if ignore_case:
            folded = literal.lower()
            return lambda value: folded == value.lower()
        return literal.__eq__
    return _matcher(pattern, ignore_case)


class PatternSet:
    """Case-sensitive patterns matched as one: ``fullmatch(text)`` is not ``None`` exactly when
    :func:`wildcard_match` holds for one of them. What :func:`any_pattern_regex` returns, in place
    of the regex it once was (callers test ``fullmatch(...) is not None``; it returns ``True`` or
    ``None``). Exact patterns are one set lookup, ``prefix*`` one ``startswith`` over all of them,
    ``*suffix`` one ``endswith``, ``head*tail`` one of each per distinct head, the others their own
    matchers."""

    __slots__ = ("patterns", "_always", "_exact", "_prefixes", "_suffixes", "_affixes", "_others")

    def __init__(self, patterns: tuple[str, ...]) -> None:
        self.patterns = patterns
        exact: set[str] = set()
        prefixes: list[str] = []
        suffixes: list[str] = []
        affixes: dict[str, list[str]] = {}  # head -> tails of the head*tail patterns
        others: list[Callable[[str], bool]] = []
        self._always = False
        for pattern in patterns:
            if "*" not in pattern and "?" not in pattern:
                exact.add(restore_literals(pattern))
                continue
            if "?" not in pattern:
                parts = pattern.split("*")
                if not any(parts[1:-1]):  # at most one "*" in effect: prefix*, *suffix, head*tail
                    head, tail = restore_literals(parts[0]), restore_literals(parts[-1])
                    if not head and not tail:
                        self._always = True
                    elif not tail:
                        prefixes.append(head)
                    elif not head:
                        suffixes.append(tail)
                    else:
                        affixes.setdefault(head, []).append(tail)
                    continue
            others.append(_matcher(pattern, False))
        self._exact = frozenset(exact)
        self._prefixes = tuple(prefixes)
        self._suffixes = tuple(suffixes)
        self._affixes = tuple((head, tuple(tails), len(head)) for head, tails in affixes.items())
        self._others = tuple(others)

    def fullmatch(self, text: str) -> Literal[True] | None:
        if self._always or text in self._exact:
            return True
        if self._prefixes and text.startswith(self._prefixes):
            return True
        if self._suffixes and text.endswith(self._suffixes):
            return True
        for head, tails, after in self._affixes:
            if text.startswith(head) and text.endswith(tails, after):
                return True
        for match in self._others:
            if match(text):
                return True
        return None

    def __reduce__(self) -> tuple:
        return any_pattern_regex, (self.patterns,)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PatternSet) and other.patterns == self.patterns

    def __hash__(self) -> int:
        return hash(self.patterns)

    def __repr__(self) -> str:
        return f"PatternSet({self.patterns!r})"


@lru_cache(maxsize=16384)
def _pattern_set(patterns: tuple[str, ...]) -> PatternSet:
    return PatternSet(patterns)


def any_pattern_regex(patterns: Sequence[str]) -> PatternSet:
    """One case-sensitive matcher whose ``fullmatch`` is not ``None`` exactly when :func:`wildcard_match`
    holds for some pattern (patterns without ``${variables}``): what a Resource list matches, in one call."""
    return _pattern_set(tuple(patterns))


def action_matches(patterns: Sequence[str], action: str) -> bool:
    for pattern in patterns:
        if wildcard_match(pattern, action, True):
            return True
    return False


def arn_matches(pattern: str, arn: str) -> bool:
    """ARN matching as the Arn* condition operators do it: segment by segment.

    The first five colon-separated fields (arn, partition, service, region,
    account) are compared one by one, so a wildcard cannot spill over a colon
    there; the resource part (the rest) is matched as one string.
    """
    if pattern == "*":
        return True
    p_parts = pattern.split(":", 5)
    a_parts = arn.split(":", 5)
    if len(p_parts) != 6 or len(a_parts) != 6:
        return restore_literals(pattern) == arn  # not both ARNs: only an exact match can hold
    return all(wildcard_match(p, a) for p, a in zip(p_parts, a_parts))


# -- policy variables ---------------------------------------------------------

_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_LITERALS = {"*": "*", "?": "?", "$": "$"}


class UnresolvedVariable(Exception):
    """A ``${key}`` whose key has no value: the element does not match."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def substitute_variables(text: str, lookup: Callable[[str], str | None]) -> str:
    """Replace ``${key}`` with ``lookup(key)``; raise :class:`UnresolvedVariable` if it has none.

    IAM substitutes the value literally, so a tag value ``a*`` is not a
    wildcard: substituted ``*`` and ``?`` come back as the private-use
    markers U+E000/U+E001, which :func:`wildcard_match` matches literally.
    """
    if "${" not in text:
        return text

    def replace(match: re.Match[str]) -> str:
        inner = match.group(1).strip()
        if inner in _LITERALS:
            return _escape(_LITERALS[inner])
        default = None
        if "," in inner:
            inner, _, rest = inner.partition(",")
            inner = inner.strip()
            default = rest.strip().strip("'\"")
        value = lookup(inner)
        if value is None:
            if default is None:
                raise UnresolvedVariable(inner)
            value = default
        return _escape(value)

    return _VARIABLE.sub(replace, text)


def _escape(value: str) -> str:
    return value.replace("*", "\ue000").replace("?", "\ue001")


def restore_literals(text: str) -> str:
    return text.replace("\ue000", "*").replace("\ue001", "?")


def resource_pattern_matches(pattern: str, arn: str, lookup: Callable[[str], str | None]) -> bool:
    """Match one Resource entry (with variables) against an ARN, case-sensitively."""
    try:
        resolved = substitute_variables(pattern, lookup)
    except UnresolvedVariable:
        return False
    return wildcard_match(resolved, arn)


def resources_match(patterns: Sequence[str], arn: str, lookup: Callable[[str], str | None]) -> bool:
    return any(resource_pattern_matches(p, arn, lookup) for p in patterns)


def resources_match_state(
    patterns: Sequence[str], arn: str, lookup: Callable[[str], str | None], is_static: Callable[[str], bool]
) -> tuple[bool | None, tuple[str, ...]]:
    """Like :func:`resources_match`, but a variable on a request-time key gives an unknown answer.

    Returns ``(True, ())`` if some pattern matches, ``(None, (pattern, ...))``
    if none does but some pattern depends on a request-time variable (the
    match is then a request-time condition), else ``(False, ())``.
    """
    unknown = []
    for pattern in patterns:
        if "${" not in pattern:  # the common case: no variable to resolve
            if pattern == "*" or wildcard_match(pattern, arn):
                return True, ()
            continue
        try:
            resolved = substitute_variables(pattern, lookup)
        except UnresolvedVariable as missing:
            if not is_static(missing.key):
                unknown.append(pattern)
            continue
        if wildcard_match(resolved, arn):
            return True, ()
    return (None, tuple(unknown)) if unknown else (False, ())


def is_unique_id(value: str) -> bool:
    """A principal stored as its unique id: what IAM shows once the principal is deleted."""
    return value[:4] in UNIQUE_ID_PREFIXES and len(value) >= 16 and value.isalnum() and value.isupper()


def account_principal(value: str) -> str | None:
    """The account id if ``value`` names a whole account (``123456789012`` or ``arn:aws:iam::123456789012:root``)."""
    if value.isascii() and value.isdigit() and len(value) == 12:
        return value
    match = re.fullmatch(r"arn:aws[a-z-]*:iam::(\d{12}):root", value)
    return match.group(1) if match else None




# -- a value two patterns both match ------------------------------------------------------

WITNESS_FILL = "graphiam-choice"  # what a free "*" of a template becomes when nothing else pins it
_WITNESS_LIMIT = 1 << 20  # states searched before giving up (patterns here are ARNs: a few hundred characters)


def glob_witness(pattern: str, template: str, fill: str = WITNESS_FILL) -> str | None:
    """A string both ``pattern`` and ``template`` match (IAM globs: ``*`` any run, ``?`` one character,
    case-sensitive), or ``None`` when there is none.

    This is how a technique asks "may the caller act on *some* resource of
    this shape": ``template`` is the shape (``arn:aws:lambda:*:111:function:*``),
    ``pattern`` a policy's Resource (``arn:aws:lambda:us-east-1:111:function:dev-*``),
    and the witness a concrete ARN the engine then decides like any other
    (``arn:aws:lambda:us-east-1:111:function:dev-graphiam-choice``). A
    breadth-first search over pairs of positions (the two patterns' product
    automaton), so it is linear in their product, never exponential, and it
    finds a shortest way through: a run both leave free becomes ``fill`` (one
    step), a ``?`` both leave free becomes ``x``.
    """
    a, b = restore_literals(pattern), restore_literals(template)
    if len(a) * len(b) > _WITNESS_LIMIT:
        return None
    start = (0, 0)
    came: dict[tuple[int, int], tuple[tuple[int, int], str] | None] = {start: None}
    queue = deque([start])
    while queue:
        i, j = state = queue.popleft()
        if i == len(a) and j == len(b):
            chars = []
            while came[state] is not None:
                state, char = came[state]  # type: ignore[misc]
                chars.append(char)
            return "".join(reversed(chars))
        star_a, star_b = i < len(a) and a[i] == "*", j < len(b) and b[j] == "*"
        moves: list[tuple[tuple[int, int], str]] = []
        if star_a and star_b:
            moves.append(((i + 1, j + 1), fill))  # both free here: one chosen run
        if star_a:
            moves.append(((i + 1, j), ""))  # the star matches nothing more
        if star_b:
            moves.append(((i, j + 1), ""))
        if i < len(a) and j < len(b) and not (star_a and star_b):
            char = _common_char(a[i], b[j])
            if char is not None:
                moves.append(((i if star_a else i + 1, j if star_b else j + 1), char))
        for nxt, char in moves:
            if nxt not in came:
                came[nxt] = (state, char)
                queue.append(nxt)
    return None


def _common_char(x: str, y: str) -> str | None:
    """A character two pattern positions (not both stars) both accept, or None."""
    if x in "*?" and y in "*?":
        return "x"
    if x in "*?":
        return y
    if y in "*?":
        return x
    return x if x == y else None
