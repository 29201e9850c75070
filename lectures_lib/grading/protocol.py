"""How values travel between the grader and a student's kernel.

The grader never trusts a comparison made inside the student's kernel. It sends the kernel a small
piece of generated code that reads the student's answer (a variable, or a function evaluated on
inputs drawn by the grader) and prints it as one JSON line behind a random ``nonce``. The grader
parses that line in its own process and compares it there with the reference from ``lectures_lib``.
A missing or malformed line while the kernel is alive means the protocol was tampered with.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

# Code run in the student's kernel. It uses only local names bound at call time, so the student's
# globals matter only through the answer being read.
_EXTRACT = r'''
def __grader_extract(__nonce, __kind, __name, __cases):
    import json as __json
    import numpy as __np

    def __encode(value):
        if value is Ellipsis or value is None:
            return {"placeholder": True}
        try:
            array = __np.asarray(value, dtype=float)
        except Exception:
            return {"unreadable": type(value).__name__}
        return {"shape": list(array.shape), "data": array.ravel().tolist()}

    def __decode(arg):
        if isinstance(arg, dict) and "ndarray" in arg:
            return __np.asarray(arg["ndarray"], dtype=float)
        return arg

    namespace = globals()
    if __name not in namespace:
        record = {"missing": True}
    elif __kind == "value":
        record = __encode(namespace[__name])
    else:
        function = namespace[__name]
        if function is Ellipsis or function is None:
            record = {"placeholder": True}
        elif not callable(function):
            record = {"not_callable": type(function).__name__}
        else:
            outputs = []
            for case in __cases:
                try:
                    outputs.append(__encode(function(*[__decode(a) for a in case])))
                except NotImplementedError:
                    outputs.append({"not_attempted": True})
                except Exception as error:
                    outputs.append({"error": f"{type(error).__name__}: {str(error)[:200]}"})
            record = {"outputs": outputs}
    print(__nonce + __json.dumps(record))


__grader_extract({nonce!r}, {kind!r}, {name!r}, __import__("json").loads({cases!r}))
del __grader_extract
'''


def encode_args(args: tuple) -> list:
    """Arguments of one function case as JSON (arrays become ``{"ndarray": [...]}``)."""
    encoded = []
    for arg in args:
        if isinstance(arg, np.ndarray):
            encoded.append({"ndarray": arg.tolist()})
        elif isinstance(arg, (np.integer, int)) and not isinstance(arg, bool):
            encoded.append(int(arg))
        else:
            encoded.append(float(arg))
    return encoded


def decode_args(encoded: list) -> tuple:
    """The inverse of :func:`encode_args`, in the grader's process."""
    return tuple(np.asarray(a["ndarray"], dtype=float) if isinstance(a, dict) else a for a in encoded)


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
