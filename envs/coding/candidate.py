# The untrusted side of the coding judge: runs the model-written program in its own sandbox
# (package envs/coding/sandbox), apart from the judge that holds the tests, and answers calls of
# its entry point with their results as data (datacodec). judge.go starts it ahead of need; its
# first stdin line brings the submission, {"entry": "f", "program": "..."}. It executes the
# program, answers {"op": "ready"} on fd 4 (or the exception that stopped the program), then
# reads one JSON request per stdin line,
#
#   {"id": N, "args": [...], "kwargs": {...}}
#
# and answers {"id": N, "value": V} or {"id": N, "raise": "ValueError", "msg": "..."} on fd 4.
#
# Nothing here is trusted: the program can replace any of it, and the judge treats whatever
# arrives on fd 4 as data that at most fails the program's own tests. The program is loaded
# once per submission (and again after a test that killed it), so its state carries over from
# one test to the next, as in HumanEval's check().
import json
import os

import datacodec


def send(fd, obj):
    data = (json.dumps(obj, allow_nan=False) + "\n").encode()
    while data:
        data = data[os.write(fd, data) :]


def describe(e):
    try:
        return type(e).__name__, str(e)[:300]
    except BaseException:
        return type(e).__name__, ""


def main():
    # The program gets /dev/null as stdin and its own stdout; requests and answers use
    # private descriptors.
    req, rep = os.fdopen(os.dup(0), "rb"), os.dup(4)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    os.close(4)
    sub = req.readline()
    if not sub:
        return
    sub = json.loads(sub)
    entry = sub["entry"]
    try:
        code = compile(sub["program"], "<solution>", "exec")
        ns = {"__name__": "__main__"}
        exec(code, ns)
        fn = ns.get(entry)
        if not callable(fn):
            raise NameError("entry point %r is not defined" % entry)
    except BaseException as e:
        name, msg = describe(e)
        send(rep, {"op": "ready", "raise": name, "msg": msg})
        return
    send(rep, {"op": "ready"})
    for line in req:
        msg = json.loads(line)
        try:
            value = fn(*datacodec.decode(msg["args"]), **datacodec.decode(msg["kwargs"]))
            text = json.dumps({"id": msg["id"], "value": datacodec.encode(value)}, allow_nan=False)
        except datacodec.NotData as e:
            text = json.dumps({"id": msg["id"], "raise": "TypeError", "msg": "the result is not data: %s" % e, "not_data": True})
        except BaseException as e:
            name, m = describe(e)
            text = json.dumps({"id": msg["id"], "raise": name, "msg": m})
        data = (text + "\n").encode()
        while data:
            data = data[os.write(rep, data) :]


main()
