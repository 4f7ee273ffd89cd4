# The runner of package pyreward (embedded in the Go binary, run as `python -u -c SOURCE FILE FUNC`).
#
# It imports FILE, checks FUNC, answers one JSON line on its private copy of the original stdout,
# then serves one request per line of stdin until EOF:
#   request:  {"turns": [{"task": str, "turn": int, "last": bool, "prompts": [str], "responses": [str]}, ...]}
#   answers:  {"ok": [number | {name: number}, ...]}            one item per turn, validated
#             {"raised": TYPE, "msg": str, "trace": str}          FUNC raised an exception
#             {"bad": str, "item": int}                           FUNC returned something unusable
# At start-up the first line is {"ready": true} or {"error": KIND, "msg": str, ...}, after which
# the runner exits. The user's prints (sys.stdout, fd 1) go to stderr; stdin reads /dev/null.
import sys
import os

# The protocol's ends: private duplicates of fds 0 and 1, taken before the user's code runs.
sys.stdout.flush()
_out_fd = os.dup(1)
_in_fd = os.dup(0)
os.dup2(2, 1)
_null = os.open(os.devnull, os.O_RDONLY)
os.dup2(_null, 0)
os.close(_null)
_proto_out = os.fdopen(_out_fd, "w", encoding="ascii", newline="\n")
_proto_in = os.fdopen(_in_fd, "r", encoding="utf-8", errors="replace", newline="\n")

import importlib.util
import json
import math
import numbers
import traceback

_FILE, _FUNC = sys.argv[1], sys.argv[2]
_MAX_FRAMES = 8


def _send(obj):
    _proto_out.write(json.dumps(obj, ensure_ascii=True, allow_nan=False) + "\n")
    _proto_out.flush()


def _repr(v):
    try:
        r = repr(v)
    except Exception:
        r = object.__repr__(v)
    if len(r) > 80:
        r = r[:60] + "..." + r[-12:]
    return r


def _type(v):
    return type(v).__name__


def _frames(tb):
    """The traceback's frames without the runner's own (<string>) and importlib's, at most
    _MAX_FRAMES of the last ones, formatted as Python prints them."""
    frames = [f for f in traceback.extract_tb(tb)
              if f.filename != "<string>" and not f.filename.startswith("<frozen")]
    text = "".join(traceback.format_list(frames[-_MAX_FRAMES:]))
    if len(frames) > _MAX_FRAMES:
        text = "  ... %d earlier frames\n" % (len(frames) - _MAX_FRAMES) + text
    return text


def _exc_name(e):
    t = type(e)
    mod = getattr(t, "__module__", "")
    if mod in ("builtins", "__main__", ""):
        return t.__qualname__
    return mod + "." + t.__qualname__


def _exc_msg(e):
    try:
        return str(e)
    except Exception:
        return "<unprintable %s>" % _type(e)


def _start():
    path = os.path.abspath(_FILE)
    sys.argv = [path]
    # As `python FILE` has it: FILE's directory in place of the cwd ('') that -c puts first.
    if sys.path and sys.path[0] == "":
        sys.path[0] = os.path.dirname(path)
    else:
        sys.path.insert(0, os.path.dirname(path))
    stem = os.path.splitext(os.path.basename(path))[0]
    name = stem if stem.isidentifier() and stem not in sys.modules else "__collm_reward__"
    try:
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None:
            raise ImportError("cannot load %s as a Python module" % path)
        mod = importlib.util.module_from_spec(spec)
        sys.modules[name] = mod
        spec.loader.exec_module(mod)
    except Exception as e:
        sys.modules.pop(name, None)
        trace = _frames(e.__traceback__)
        if isinstance(e, SyntaxError):
            # File, line, the code and the caret: all of format_exception_only but its last line.
            lines = traceback.format_exception_only(type(e), e)
            trace += "".join(lines[:-1])
        return None, {"error": "import", "type": _exc_name(e), "msg": _exc_msg(e), "trace": trace}
    if not hasattr(mod, _FUNC):
        names = [k for k, v in vars(mod).items() if not k.startswith("_") and callable(v)]
        return None, {"error": "nofunc", "callables": names}
    fn = getattr(mod, _FUNC)
    if not callable(fn):
        return None, {"error": "notcallable", "value": _repr(fn), "type": _type(fn)}
    try:
        import inspect
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        sig = None
    if sig is not None:
        try:
            sig.bind([])
        except TypeError as e:
            return None, {"error": "signature", "sig": str(sig), "msg": _exc_msg(e)}
    return fn, None


def _number(v):
    """v as a finite float; else (None, why)."""
    if isinstance(v, (bool, str, bytes, bytearray)) or _type(v) in ("bool", "bool_"):
        return None, "type"
    if not (isinstance(v, numbers.Real) or hasattr(type(v), "__float__")):
        return None, "type"
    try:
        f = float(v)
    except OverflowError:
        return None, "finite"
    except Exception:
        return None, "type"
    if not isinstance(f, float):
        return None, "type"
    if math.isnan(f) or math.isinf(f):
        return None, "finite"
    return f, None


def _item(i, v):
    """The answer's item for v, or raise _Bad."""
    if isinstance(v, dict) or (hasattr(v, "keys") and hasattr(v, "items") and not isinstance(v, (str, bytes))):
        parts = {}
        try:
            pairs = list(v.items())
        except Exception as e:
            raise _Bad(i, "item %d is %s (%s): its items() failed: %s" % (i, _repr(v), _type(v), _exc_msg(e)))
        for k, x in pairs:
            if not isinstance(k, str):
                raise _Bad(i, "item %d has a key %s (%s): want str keys, the names of the parts" % (i, _repr(k), _type(k)))
            if k == "":
                raise _Bad(i, "item %d has an empty key: want non-empty names of the parts" % i)
            f, why = _number(x)
            if why == "finite":
                raise _Bad(i, "item %d part %s is %s: want a finite number" % (i, json.dumps(k), _repr(x)))
            if why:
                raise _Bad(i, "item %d part %s is %s (%s): want a number" % (i, json.dumps(k), _repr(x), _type(x)))
            parts[k] = f
        return parts
    f, why = _number(v)
    if why == "finite":
        raise _Bad(i, "item %d is %s: want a finite number" % (i, _repr(v)))
    if why:
        raise _Bad(i, "item %d is %s (%s): want a number or a dict of named numbers" % (i, _repr(v), _type(v)))
    return f


class _Bad(Exception):
    def __init__(self, item, msg):
        Exception.__init__(self, msg)
        self.item, self.msg = item, msg


def _answer(out, n):
    if isinstance(out, (list, tuple)):
        items = out
    else:
        items = None
        tolist = getattr(out, "tolist", None)  # numpy arrays, torch tensors
        if tolist is not None and not isinstance(out, (str, bytes, dict)):
            try:
                items = tolist()
            except Exception:
                items = None
            if not isinstance(items, list):
                items = None
        if items is None:
            hint = " (does the function return its list?)" if out is None else ""
            return {"bad": "returned %s (%s): want a list with one item per turn%s" % (_repr(out), _type(out), hint), "item": -1}
    if len(items) != n:
        return {"bad": "returned %d item%s for %d turn%s: want one per turn" % (
            len(items), "" if len(items) == 1 else "s", n, "" if n == 1 else "s"), "item": -1}
    try:
        return {"ok": [_item(i, v) for i, v in enumerate(items)]}
    except _Bad as b:
        return {"bad": b.msg, "item": b.item}


def _serve(fn):
    while True:
        line = _proto_in.readline()
        if not line:
            return
        req = json.loads(line)
        turns = req["turns"]
        try:
            out = fn(turns)
        except SystemExit:
            raise
        except BaseException as e:
            ans = {"raised": _exc_name(e), "msg": _exc_msg(e), "trace": _frames(e.__traceback__)}
        else:
            try:
                ans = _answer(out, len(turns))
            except Exception as e:
                ans = {"bad": "its answer could not be read: %s: %s" % (_exc_name(e), _exc_msg(e)), "item": -1}
        sys.stdout.flush()
        sys.stderr.flush()
        _send(ans)


def _main():
    fn, err = _start()
    sys.stdout.flush()
    sys.stderr.flush()
    if err is not None:
        _send(err)
        return
    _send({"ready": True, "python": sys.version.split()[0]})
    _serve(fn)


_main()
