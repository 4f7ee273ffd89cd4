# The untrusted side of the coding judge: runs model-written programs in their own sandbox
# (package envs/coding/sandbox), apart from the judge that holds the tests, and answers calls of
# their entry point with their results as data (datacodec). judge.go starts it ahead of need and
# talks to it with one JSON line at a time, on stdin and on fd 4:
#
#   {"nonce": "...", "entry": "f", "program": "..."}   a submission: a forked process executes
#                                    the program in a fresh directory and answers
#                                    {"op": "ready", "nonce": ...} (with "raise" and "msg" when the
#                                    program stopped with an exception)
#   {"id": N, "args": [...], "kwargs": {...}}
#                                    answered {"id": N, "nonce": ..., "value": V} or with
#                                    "raise" and "msg"
#   {"op": "end"}                    the submission's process exits
#
# When that process has ended (or died), this one answers {"op": "ended", "nonce": ...}. With
# the argument "serve" (judge.go passes it only where the sandbox has a PID namespace and an
# unprivileged uid) it then takes the next submission: it first kills every other process of the
# sandbox, empties the scratch space and drops whatever is left unread on stdin. It is not
# dumpable, so the programs (same uid) can neither trace it nor read its memory or descriptors;
# judge.go accepts only lines with the submission's nonce, which no earlier program knew.
# Nothing a program answers is trusted: at most it fails its own tests.
import json
import os
import shutil
import signal
import sys
import time

import datacodec


def send(fd, obj):
    data = (json.dumps(obj, allow_nan=False) + "\n").encode()
    while data:
        data = data[os.write(fd, data) :]


class Lines:
    """Reads lines from a descriptor with a buffer it can drop."""

    def __init__(self, fd):
        self.fd, self.buf = fd, b""

    def next(self):
        while b"\n" not in self.buf:
            chunk = os.read(self.fd, 1 << 16)
            if not chunk:
                return None
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line

    def drain(self):
        self.buf = b""
        os.set_blocking(self.fd, False)
        try:
            while os.read(self.fd, 1 << 16):
                pass
        except BlockingIOError:
            pass
        finally:
            os.set_blocking(self.fd, True)


def describe(e):
    try:
        return type(e).__name__, str(e)[:300]
    except BaseException:
        return type(e).__name__, ""


def run(sub, req, rep):
    """The submission's process: executes the program, then answers calls until "end"."""
    nonce = sub["nonce"]
    try:
        code = compile(sub["program"], "<solution>", "exec")
        ns = {"__name__": "__main__"}
        exec(code, ns)
        fn = ns.get(sub["entry"])
        if not callable(fn):
            raise NameError("entry point %r is not defined" % sub["entry"])
    except BaseException as e:
        name, msg = describe(e)
        send(rep, {"op": "ready", "nonce": nonce, "raise": name, "msg": msg})
        return
    send(rep, {"op": "ready", "nonce": nonce})
    lines = Lines(req)
    while True:
        line = lines.next()
        if line is None:
            return
        msg = json.loads(line)
        if "id" not in msg:
            return
        out = {"id": msg["id"], "nonce": nonce}
        try:
            value = fn(*datacodec.decode(msg["args"]), **datacodec.decode(msg["kwargs"]))
            out["value"] = datacodec.encode(value)
            text = json.dumps(out, allow_nan=False)
        except datacodec.NotData as e:
            out.update({"raise": "TypeError", "msg": "the result is not data: %s" % e, "not_data": True})
            text = json.dumps(out)
        except BaseException as e:
            out.update(zip(("raise", "msg"), describe(e)))
            text = json.dumps(out)
        data = (text + "\n").encode()
        while data:
            data = data[os.write(rep, data) :]


def kill_others():
    """Kills every other process of the sandbox (the bootstrap, PID 1, is out of reach) and
    waits until they are gone; False when some remain."""
    me = os.getpid()
    for _ in range(500):
        try:
            os.kill(-1, signal.SIGKILL)
        except OSError:
            pass
        try:
            while os.waitpid(-1, os.WNOHANG)[0]:
                pass
        except ChildProcessError:
            pass
        if not [p for p in os.listdir("/proc") if p.isdigit() and int(p) not in (1, me)]:
            return True
        time.sleep(0.002)
    return False


def purge(base, keep):
    """Empties the scratch tmpfs but for this process's own files."""
    for d, names in (("/tmp", None), (base, keep)):
        try:
            entries = os.listdir(d)
        except OSError:
            continue
        for e in entries:
            path = os.path.join(d, e)
            if path == base or base.startswith(path + "/") or (names is not None and e in names):
                continue
            try:
                if os.path.isdir(path) and not os.path.islink(path):
                    shutil.rmtree(path)
                else:
                    os.unlink(path)
            except OSError:
                pass


def main():
    serve = sys.argv[1:] == ["serve"]
    if serve:
        import ctypes

        ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE 0
    # Programs get /dev/null as stdin; requests and answers use private descriptors.
    req, rep = os.dup(0), os.dup(4)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    os.close(4)
    base = os.getcwd()
    keep = set(os.listdir(base))
    lines = Lines(req)
    n = 0
    while True:
        line = lines.next()
        if line is None:
            return
        try:
            sub = json.loads(line)
        except ValueError:
            continue
        if type(sub) is not dict or "program" not in sub:
            continue  # a request the previous program never read
        n += 1
        jobdir = os.path.join(base, "job%d" % n)
        os.mkdir(jobdir, 0o700)
        pid = os.fork()
        if pid == 0:
            try:
                os.chdir(jobdir)
                os.environ["HOME"] = os.environ["TMPDIR"] = jobdir
                run(sub, req, rep)
            finally:
                os._exit(0)
        os.waitpid(pid, 0)
        healthy = not serve or (kill_others() and purge(base, keep) is None and os.path.isdir(base) and os.access(base, os.W_OK))
        if serve:
            lines.drain()
        send(rep, {"op": "ended", "nonce": sub.get("nonce"), "broken": not healthy})
        if not (serve and healthy):
            return


main()
