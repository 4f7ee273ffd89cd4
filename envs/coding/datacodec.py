# Values as data, for the wire between the coding judge (trusted) and the candidate process
# (untrusted): only built-in value types of the exact classes below cross it, as JSON. A
# candidate's result that is anything else (a subclass with its own __eq__, a generator, an
# object of its own class) does not encode; whatever the candidate process writes decodes to
# plain built-in values or is rejected, so nothing it sends can run code in the judge. The text
# is strict JSON (no NaN tokens), so judge.go can read the envelope of every line.
#
#   None, bool, int, finite float, str                    as JSON
#   nan, inf, -inf                                        {"n": "nan"} / {"n": "inf"} / {"n": "-inf"}
#   list                                                  JSON array
#   tuple / set / frozenset                               {"t": [...]} / {"s": [...]} / {"f": [...]}
#   dict                                                  {"d": [[key, value], ...]}
#   bytes / bytearray                                     {"b": "<base64>"} / {"a": "<base64>"}
#   complex                                               {"c": [real, imag]}
import base64
import json
import math

MAX_DEPTH = 200


class NotData(TypeError):
    """A value that does not cross the wire."""


def encode(x, depth=0):
    if depth > MAX_DEPTH:
        raise NotData("nested deeper than %d" % MAX_DEPTH)
    t = type(x)
    if x is None or t is bool or t is int or t is str:
        return x
    if t is float:
        return x if math.isfinite(x) else {"n": repr(x)}
    d = depth + 1
    if t is list:
        return [encode(e, d) for e in x]
    if t is tuple:
        return {"t": [encode(e, d) for e in x]}
    if t is set:
        return {"s": [encode(e, d) for e in x]}
    if t is frozenset:
        return {"f": [encode(e, d) for e in x]}
    if t is dict:
        return {"d": [[encode(k, d), encode(v, d)] for k, v in x.items()]}
    if t is bytes:
        return {"b": base64.b64encode(x).decode()}
    if t is bytearray:
        return {"a": base64.b64encode(bytes(x)).decode()}
    if t is complex:
        return {"c": [encode(x.real, d), encode(x.imag, d)]}
    raise NotData("a value of type %s is not data" % t.__name__)


def dumps(x):
    """The JSON text of x; NotData when x (or a part of it) is not data."""
    try:
        return json.dumps(encode(x), allow_nan=False)
    except RecursionError:
        raise NotData("nested too deeply")
    except ValueError as e:  # a self-referential list or dict
        raise NotData(str(e))


def _seq(v, depth):
    if type(v) is not list:
        raise NotData("malformed collection")
    return [decode(e, depth + 1) for e in v]


def decode(j, depth=0):
    """Plain built-in values from the JSON value j; NotData for anything malformed."""
    if depth > MAX_DEPTH:
        raise NotData("nested deeper than %d" % MAX_DEPTH)
    t = type(j)
    if j is None or t is bool or t is int or t is float or t is str:
        return j
    if t is list:
        return [decode(e, depth + 1) for e in j]
    if t is not dict or len(j) != 1:
        raise NotData("malformed value")
    (tag, v), = j.items()
    try:
        if tag == "t":
            return tuple(_seq(v, depth))
        if tag == "s":
            return set(_seq(v, depth))
        if tag == "f":
            return frozenset(_seq(v, depth))
        if tag == "d":
            pairs = _seq(v, depth)
            if any(type(p) is not list or len(p) != 2 for p in pairs):
                raise NotData("malformed dict")
            return {k: val for k, val in pairs}
        if tag == "b" and type(v) is str:
            return base64.b64decode(v, validate=True)
        if tag == "a" and type(v) is str:
            return bytearray(base64.b64decode(v, validate=True))
        if tag == "n" and v in ("nan", "inf", "-inf"):
            return float(v)
        if tag == "c" and type(v) is list and len(v) == 2:
            re_, im = decode(v[0], depth + 1), decode(v[1], depth + 1)
            if type(re_) in (int, float) and type(im) in (int, float):
                return complex(re_, im)
    except (TypeError, ValueError) as e:  # unhashable set members or keys, bad base64
        raise NotData("malformed value: %s" % e)
    raise NotData("malformed value")


def loads(text):
    """The value of a JSON text written by dumps; NotData when it is not one."""
    try:
        return decode(json.loads(text))
    except RecursionError:
        raise NotData("nested too deeply")
    except ValueError as e:  # bad JSON, or an int beyond Python's digit limit
        raise NotData("not JSON: %s" % str(e)[:200])
