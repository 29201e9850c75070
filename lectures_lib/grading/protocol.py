"""How values travel between the grader and a student's kernel.

The grader never trusts a comparison made inside the student's kernel. It sends the kernel a small
piece of generated code that reads the student's answer (a variable, or a function evaluated on
inputs drawn by the grader) and prints it as one JSON line behind a random ``nonce``. The grader
parses that line in its own process and compares it there with the reference from ``lectures_lib``.
A missing or malformed line while the kernel is alive means the protocol was tampered with.
"""

from __future__ import annotations

import inspect
import json
import textwrap
from typing import Any

import numpy as np

from ..exercises.verdict import decode_args, encode_args, read_answer

__all__ = ["decode_args", "decode_value", "encode_args", "extraction_code", "parse_record"]

# Code run in the student's kernel. It uses only local names bound at call time, so the student's
# globals matter only through the answer being read. The answer is read by the source of
# ``lectures_lib.exercises.verdict.read_answer``, the code a notebook's check runs on the live answer.
_EXTRACT = r'''
def __grader_extract(__nonce, __kind, __name, __cases):
    import json as __json

{read_answer}

    namespace = globals()
    if __name not in namespace:
        record = {{"missing": True}}
    else:
        record = read_answer(namespace[__name], __kind, __cases)
    print(__nonce + __json.dumps(record))


__grader_extract({{nonce!r}}, {{kind!r}}, {{name!r}}, __import__("json").loads({{cases!r}}))
del __grader_extract
'''.format(read_answer=textwrap.indent(inspect.getsource(read_answer), "    "))


def extraction_code(nonce: str, kind: str, name: str, cases: list[list]) -> str:
    """The code that reads one answer in the student's kernel and prints it behind ``nonce``."""
    if not name.isidentifier():
        raise ValueError(f"answer name must be a Python identifier, got {name!r}")
    return _EXTRACT.replace("{nonce!r}", repr(nonce)).replace("{kind!r}", repr(kind)).replace(
        "{name!r}", repr(name)).replace("{cases!r}", repr(json.dumps(cases)))


def parse_record(stream_text: str, nonce: str) -> dict[str, Any] | None:
    """The record printed behind ``nonce``, or ``None`` if there is not exactly one well-formed one."""
    lines = [line for line in stream_text.splitlines() if line.startswith(nonce)]
    if len(lines) != 1:
        return None
    try:
        record = json.loads(lines[0][len(nonce):])
    except ValueError:
        return None
    return record if isinstance(record, dict) else None


def decode_value(record: dict[str, Any]) -> np.ndarray:
    """An encoded value as a float array of its shape."""
    return np.asarray(record["data"], dtype=float).reshape(record["shape"])
