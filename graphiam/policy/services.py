"""Is a text a well-formed AWS service principal (``ec2.amazonaws.com``)?

A service principal names the AWS service that receives a role (the
``"Service"`` entry of a trust policy's Principal, the value of
``iam:PassedToService``). The IAM User Guide, "AWS JSON policy elements:
Principal", section "AWS service principals"
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html#principal-services),
gives their form: the service's name followed by ``.amazonaws.com``, all in
lower case (``ecs-tasks.amazonaws.com``, ``elasticmapreduce.amazonaws.com``);
some services also have regional principals (``logs.us-east-1.amazonaws.com``).
In the China Regions (partition ``aws-cn``) a few services use
``.amazonaws.com.cn`` ("Getting Started with AWS in China", e.g.
``elasticmapreduce.amazonaws.com.cn``).

The check is on the form only, conservatively: it does not know which
services exist, and it accepts only those two documented suffixes. Other
spellings that show up in the wild are not accepted: ``*.amazon.com``
principals (Alexa skills) are for Lambda resource policies, not for roles;
``.aws.internal`` is not a documented principal suffix. A text that is
nearly right gets the likely principal in its message: ``ec2`` -> ``did you
mean ec2.amazonaws.com?``, as do ``Ec2.amazonaws.com``, ``ec2.amazonaws.com.``
and ``ec2.amazonaws``.
"""

from __future__ import annotations

import json
import re

# The documented suffixes, most specific first.
SERVICE_PRINCIPAL_SUFFIXES = (".amazonaws.com.cn", ".amazonaws.com")

# One DNS label: lower-case letters, digits and inner hyphens.
_LABEL = r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?"
_WELL_FORMED = re.compile(
    rf"^{_LABEL}(?:\.{_LABEL})*(?:{'|'.join(re.escape(s) for s in SERVICE_PRINCIPAL_SUFFIXES)})$"
)
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)
EXAMPLE = "ec2.amazonaws.com"


def is_service_principal(text: str) -> bool:
    """``True`` when ``text`` has the form of a service principal (see the module's docstring)."""
    return isinstance(text, str) and _WELL_FORMED.match(text) is not None


def service_principal_problem(text: str) -> str | None:
    """``None`` when ``text`` is a well-formed service principal, else one line saying why, with a suggestion."""
    if not isinstance(text, str):
        return f"a service principal is a string such as {EXAMPLE}, not {type(text).__name__}"
    if is_service_principal(text):
        return None
    shown = _quoted(text)
    stripped = text.strip()
    if not stripped:
        return f"{shown} is not a service principal: name the service that receives the role, e.g. {EXAMPLE}"
    if stripped.lower().startswith("arn:"):
        return (f"{shown} is an ARN, not a service principal: name the service that receives the role, "
                f"e.g. {EXAMPLE}")
    if "*" in stripped or "?" in stripped:
        return f"{shown} is not a service principal: a service principal names one service, without wildcards"
    guess = _likely(stripped)
    if guess is not None and guess != text:
        return f"{shown} is not a well-formed service principal: did you mean {guess}?"
    return (f"{shown} is not a well-formed service principal: expected the service's name followed by "
            f".amazonaws.com (or .amazonaws.com.cn in China), in lower case, e.g. {EXAMPLE}")


def _likely(text: str) -> str | None:
    """The service principal ``text`` most likely means, or ``None`` when it cannot tell."""
    guess = _SCHEME.sub("", text).strip().strip("/").lower()
    guess = re.sub(r"\s*\.\s*", ".", guess).strip(".")  # trailing or doubled dots, stray spaces around them
    guess = re.sub(r"\.{2,}", ".", guess)
    if not guess:
        return None
    if guess.endswith(".amazonaws") or guess.endswith(".amazonaws.cn"):  # a missing ".com"
        guess = guess.replace(".amazonaws", ".amazonaws.com", 1) if guess.endswith(".cn") else guess + ".com"
    elif guess.endswith(".amazon.com"):
        guess = guess[: -len(".amazon.com")] + ".amazonaws.com"
    elif not any(guess.endswith(suffix) for suffix in SERVICE_PRINCIPAL_SUFFIXES) and "." not in guess:
        guess += ".amazonaws.com"  # a bare service name: "ec2", "lambda", "ecs-tasks"
    return guess if is_service_principal(guess) else None


def _quoted(text: str) -> str:
    """``text`` in double quotes, on one line (control characters escaped)."""
    return json.dumps(text, ensure_ascii=False)
