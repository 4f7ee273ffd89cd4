# The coding judge: static analysis and test execution for one joint response, run inside the
# sandbox (package envs/coding/sandbox) by judge.go. It reads one JSON job line on stdin and
# writes JSON lines on fd 4 (the sandbox's private channel): one "analysis" line, one "test"
# line per test as it finishes, and a final "done" line. Whatever is missing when the run is
# killed counts as not passed.
#
# The judge never executes candidate code, and nothing the candidate does can reach it: the
# program runs in another sandbox (candidate.py), and the tests here call it through a proxy.
# Each call goes out as a "call" line on fd 4 with its arguments as data (datacodec); judge.go
# has the candidate process compute it and writes the answer back on stdin, a value that decodes
# to plain built-in types or an exception name. The test's own code (from the data set, trusted)
# then compares that value here. Only the problem's prompt helpers, the test code and the
# program's plain `import module` lines of standard-library modules run in this process.
import ast
import builtins
import json
import math
import os
import re
import resource
import select
import signal
import sys
import time

import datacodec

CHANNEL = 4


def emit(obj):
    data = (json.dumps(obj, allow_nan=False) + "\n").encode()
    while data:
        n = os.write(CHANNEL, data)
        data = data[n:]


def parse(src, name="<response>"):
    """Returns (tree, None) or (None, 'line N: message')."""
    try:
        return ast.parse(src, name), None
    except SyntaxError as e:
        return None, "line %s: %s" % (e.lineno, e.msg)
    except (ValueError, RecursionError, MemoryError, OverflowError) as e:
        return None, "%s: %s" % (type(e).__name__, e)


def segment(lines, node):
    start = min([d.lineno for d in getattr(node, "decorator_list", [])] + [node.lineno])
    return "\n".join(lines[start - 1 : node.end_lineno])


def walk_own(fn):
    """Nodes of a function body, not descending into nested functions, lambdas or classes."""
    todo = list(fn.body)
    while todo:
        node = todo.pop()
        yield node
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            continue
        todo.extend(ast.iter_child_nodes(node))


def returns_value(fn):
    return any(isinstance(n, ast.Return) and n.value is not None for n in walk_own(fn))


IMPORT_RE = re.compile(r"^(import\s+\S|from\s+\S+\s+import\s)")


def find_function(src, name):
    """Finds the last top-level `def name(` in src. Tolerant: when src does not parse, the
    function is the def line plus the indented block after it, and "returns" is a textual
    `return <something>`, so level 1 can reward the shape before level 2 checks the syntax."""
    out = {"defined": False, "returns": False, "block": "", "imports": [], "parse_error": None}
    tree, err = parse(src)
    lines = src.split("\n")
    if tree is not None:
        found = None
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == name:
                found = node
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                out["imports"].append(segment(lines, node))
        if found is not None:
            out.update(defined=True, returns=returns_value(found), block=segment(lines, found))
        return out
    out["parse_error"] = err
    def_re = re.compile(r"^(async\s+)?def\s+" + re.escape(name) + r"\s*\(")
    start = None
    for i, line in enumerate(lines):
        if def_re.match(line):
            start = i
        elif IMPORT_RE.match(line):
            out["imports"].append(line.rstrip())
    if start is None:
        return out
    end = start + 1
    while end < len(lines) and (lines[end].strip() == "" or lines[end][0] in " \t"):
        end += 1
    block = "\n".join(lines[start:end]).rstrip()
    out.update(defined=True, block=block, returns=re.search(r"\breturn\b[ \t]*[^\s#;]", block) is not None)
    return out


def context_parts(prompt, exclude):
    """Imports and helper definitions of the problem statement (e.g. HumanEval/10 gives
    is_palindrome), without the functions the agents write."""
    if not prompt:
        return []
    tree, _ = parse(prompt, "<prompt>")
    if tree is None:
        tree, _ = parse(prompt + "\n    pass\n", "<prompt>")
    lines = prompt.split("\n")
    if tree is None:
        return [l.rstrip() for l in lines if IMPORT_RE.match(l)]
    parts = []
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            parts.append(segment(lines, node))
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name not in exclude:
            parts.append(segment(lines, node))
    return parts


def is_call_to(node, name):
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == name


def local_names(fn):
    args = fn.args
    names = {a.arg for a in args.posonlyargs + args.args + args.kwonlyargs}
    names.update(a.arg for a in (args.vararg, args.kwarg) if a is not None)
    declared_global = set()
    for node in ast.walk(fn):
        if node is fn:
            continue
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            names.add(node.name)
        elif isinstance(node, ast.Global):
            declared_global.update(node.names)
    return names - declared_global


def collaboration(main_block, aux_name):
    """Static checks of the entry point against the helper, on the AST of the main function."""
    out = {"calls_aux": False, "aux_shadowed": False, "ignored_result": False, "wrapper": False}
    tree, _ = parse(main_block)
    if tree is None or not tree.body:
        return out
    fn = tree.body[0]
    shadowed = aux_name in local_names(fn)
    calls = [n for n in ast.walk(fn) if is_call_to(n, aux_name)]
    out["aux_shadowed"] = shadowed
    out["calls_aux"] = bool(calls) and not shadowed
    if not out["calls_aux"]:
        return out
    out["ignored_result"] = any(isinstance(n, ast.Expr) and is_call_to(n.value, aux_name) for n in ast.walk(fn))
    body = list(fn.body)
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
        body = body[1:]
    if len(body) == 1 and isinstance(body[0], ast.Return):
        out["wrapper"] = is_call_to(body[0].value, aux_name)
    elif len(body) == 2 and isinstance(body[0], ast.Assign) and isinstance(body[1], ast.Return):
        tgt = body[0].targets
        ret = body[1].value
        out["wrapper"] = (
            len(tgt) == 1
            and isinstance(tgt[0], ast.Name)
            and is_call_to(body[0].value, aux_name)
            and isinstance(ret, ast.Name)
            and ret.id == tgt[0].id
        )
    return out


def mentions(node, names):
    return any(isinstance(n, ast.Name) and n.id in names for n in ast.walk(node))


def has_assert(node):
    return any(isinstance(n, ast.Assert) for n in ast.walk(node))


def extract_tests(job):
    """Returns (prelude_src, [(setup_srcs, test_src)]) or raises ValueError.

    HumanEval: the module-level code of `test` except check() is the prelude; each top-level
    statement of check()'s body that contains an assert and mentions `candidate` (or the entry
    point) is one test; the other statements are setup, run in order before every later test.
    MBPP: `asserts` are the tests and `test_setup` the prelude."""
    entry = job["entry_point"]
    if job.get("asserts"):
        return job.get("test_setup", ""), [([], a) for a in job["asserts"]]
    test = job.get("test", "")
    tree, err = parse(test, "<test>")
    if tree is None:
        raise ValueError("test code does not parse: " + err)
    lines = test.split("\n")
    prelude, check = [], None
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == "check":
            check = node
        else:
            prelude.append(segment(lines, node))
    if check is None:
        raise ValueError("test code has no check(candidate) function")
    tests, setup = [], []
    for stmt in check.body:
        src = ast.unparse(stmt)
        if has_assert(stmt) and mentions(stmt, {"candidate", entry}):
            tests.append((list(setup), src))
        else:
            setup.append(src)
    return "\n".join(prelude), tests


class Abort(BaseException):
    """The test's time is up (raised by the alarm, again every half second until it ends)."""


def on_alarm(signum, frame):
    raise Abort()


class Link:
    """The judge's end of the wire to the candidate process (through judge.go)."""

    def __init__(self):
        self.next_id = 0
        self.buf = b""
        self.failed = None  # why the running test fails, whatever its code catches
        self.timed_out = False

    def begin(self, index, timeout):
        self.failed, self.timed_out = None, False
        emit({"kind": "begin_test", "index": index, "timeout": timeout})

    def reply(self, want):
        while True:
            while b"\n" not in self.buf:
                chunk = os.read(0, 1 << 16)
                if not chunk:
                    raise Abort()
                self.buf += chunk
            line, self.buf = self.buf.split(b"\n", 1)
            try:
                msg = json.loads(line)
            except ValueError:
                continue
            if type(msg) is dict and msg.get("id") == want:  # answers to abandoned calls are dropped
                return msg

    def call(self, args, kwargs):
        self.next_id += 1
        try:
            req = {"kind": "call", "id": self.next_id, "args": datacodec.encode(list(args)), "kwargs": datacodec.encode(dict(kwargs))}
        except datacodec.NotData as e:
            self.failed = "the test passes an argument that is not data (%s): it cannot be judged" % e
            raise RuntimeError(self.failed)
        emit(req)
        msg = self.reply(self.next_id)
        if "value" in msg:
            try:
                return datacodec.decode(msg["value"])
            except datacodec.NotData as e:
                self.failed = "the candidate's answer is not data: %s" % e
        elif msg.get("timeout"):
            self.failed, self.timed_out = "timeout", True
            raise Abort()
        elif msg.get("crash") or msg.get("not_data"):
            self.failed = str(msg.get("crash") or msg.get("msg"))[:300]
        else:
            raise exception_named(msg.get("raise"), msg.get("msg"))
        raise RuntimeError(self.failed)


def exception_named(name, msg):
    """A built-in exception of the class the candidate raised (RuntimeError for any other)."""
    msg = str(msg)[:300]
    cls = getattr(builtins, name, None) if type(name) is str else None
    if isinstance(cls, type) and issubclass(cls, Exception):
        try:
            return cls(msg)
        except Exception:
            pass
    return RuntimeError("%s: %s" % (str(name)[:50], msg))


class Candidate:
    """Stands for the entry point in the tests: every call is answered by the candidate process."""

    def __init__(self, link, name):
        self.link, self.__name__ = link, name

    def __call__(self, *args, **kwargs):
        return self.link.call(args, kwargs)


UNSAFE_IMPORTS = {"antigravity", "this", "idlelib", "tkinter", "turtle", "turtledemo"}


def module_imports(program):
    """The program's top-level `import module` lines of standard-library modules, unaliased:
    tests may use a module the solution imports (MBPP's `math.isclose`), and binding a real
    module under its own name changes nothing else the test relies on."""
    tree, _ = parse(program, "<solution>")
    out = []
    for node in tree.body if tree is not None else []:
        if isinstance(node, ast.Import):
            for a in node.names:
                top = a.name.split(".")[0]
                if a.asname is None and top in sys.stdlib_module_names and top not in UNSAFE_IMPORTS:
                    out.append("import " + a.name)
    return "\n".join(out)


def run_test(link, preamble, setup, test, entry, index, timeout):
    """Runs one test here against the candidate process; returns (passed, timed_out, error)."""
    try:
        codes = [compile(src, "<test>", "exec") for src in preamble]
        setup_codes = [compile(src, "<check>", "exec") for src in setup]
        test_code = compile(test, "<check>", "exec")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as e:
        return False, False, "%s: %s" % (type(e).__name__, e)
    link.begin(index, timeout)
    candidate = Candidate(link, entry)
    ns = {"__name__": "__main__", "__builtins__": builtins}
    error = ""
    try:
        signal.setitimer(signal.ITIMER_REAL, timeout + 2, 0.5)
        for c in codes:
            exec(c, ns)
        ns["candidate"] = ns[entry] = candidate
        for c in setup_codes:
            exec(c, ns)
        exec(test_code, ns)
    except Abort:
        link.timed_out = True
    except BaseException as e:
        error = ("%s: %s" % (type(e).__name__, e))[:300]
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    if link.timed_out:
        return False, True, "timeout after %gs" % timeout
    if link.failed:
        return False, False, link.failed
    return error == "", False, error


def judge(job):
    entry, aux_name = job["entry_point"], job.get("aux_name", "aux")
    analysis = {"kind": "analysis"}
    if job.get("program") is not None:
        program = job["program"]
        _, err = parse(program, "<solution>")
        analysis.update(syntax_ok=err is None, syntax_error=err)
        run = True
    else:
        aux = find_function(job.get("aux", ""), aux_name)
        main_fn = find_function(job.get("main", ""), entry)
        parts = context_parts(job.get("prompt", ""), {entry, aux_name})
        seen = set(parts)
        for imp in aux["imports"] + main_fn["imports"]:
            if imp not in seen:
                seen.add(imp)
                parts.append(imp)
        if aux["defined"]:
            parts.append(aux["block"])
        if main_fn["defined"]:
            parts.append(main_fn["block"])
        program = "\n\n".join(parts) + "\n"
        _, err = parse(program, "<solution>")
        analysis.update(
            aux_defined=aux["defined"], aux_returns=aux["returns"], aux_parse_error=aux["parse_error"],
            main_defined=main_fn["defined"], main_returns=main_fn["returns"], main_parse_error=main_fn["parse_error"],
            syntax_ok=err is None, syntax_error=err,
        )
        if err is None and main_fn["defined"]:
            analysis.update(collaboration(main_fn["block"], aux_name))
        run = main_fn["defined"] and main_fn["returns"] and err is None
        if not job.get("gate", True):
            run = True
    try:
        prelude, tests = extract_tests(job)
    except ValueError as e:
        analysis["test_error"] = str(e)
        emit(analysis)
        emit({"kind": "done", "total": 0, "run": 0})
        return
    analysis["n_tests"] = len(tests)
    analysis["program"] = program[:20000]
    emit(analysis)
    timeouts, done = 0, 0
    if run and tests:
        # The tests see the prompt's helpers (HumanEval/32's poly), never the program's own code.
        preamble = context_parts(job.get("prompt", ""), {entry, aux_name}) + [module_imports(program), prelude]
        emit({"kind": "candidate", "program": program, "entry": entry})
        link = Link()
        signal.signal(signal.SIGALRM, on_alarm)
        for i, (setup, test) in enumerate(tests):
            if timeouts >= job.get("max_timeouts", 3):
                break
            passed, timed_out, error = run_test(link, preamble, setup, test, entry, i, job.get("timeout", 10.0))
            timeouts += timed_out
            done += 1
            emit({"kind": "test", "index": i, "passed": passed, "timeout": timed_out, "error": error, "source": test[:500]})
    emit({"kind": "done", "total": len(tests), "run": done, "first_test": tests[0][1][:500] if tests else ""})


def wait_for(pid, timeout):
    """Waits for child pid at most timeout seconds; returns its status or None."""
    try:
        fd = os.pidfd_open(pid)
    except (AttributeError, OSError):
        fd = None
    if fd is not None:
        try:
            ready, _, _ = select.select([fd], [], [], timeout)
        finally:
            os.close(fd)
        return os.waitpid(pid, 0)[1] if ready else None
    deadline = time.monotonic() + timeout
    while True:
        p, status = os.waitpid(pid, os.WNOHANG)
        if p:
            return status
        if time.monotonic() > deadline:
            return None
        time.sleep(0.002)


def serve():
    """Persistent mode: one JSON job per stdin line, each judged in a forked child (so no job
    leaves state for the next); the child's output ends with an "end" line. Lines that are not
    jobs (an answer to a call the judge had abandoned at a timeout) are skipped."""
    n = 0
    while True:
        line = sys.stdin.buffer.readline()
        if not line:
            return
        try:
            job = json.loads(line.decode("utf-8", "surrogatepass"))
            if type(job) is not dict or "entry_point" not in job:
                continue
            wall = float(job.get("wall", 60))
        except (ValueError, TypeError) as e:
            n += 1
            emit({"kind": "end", "job": n, "error": "bad job: %s" % e})
            continue
        n += 1
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                cpu = int(math.ceil(wall)) + 1
                resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
                judge(job)
                code = 0
            except BaseException:
                import traceback

                traceback.print_exc()
            finally:
                os._exit(code)
        status = wait_for(pid, wall)
        if status is None:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        # The leading newline ends a line the killed child may have left unfinished.
        os.write(CHANNEL, b"\n")
        emit({"kind": "end", "job": n, "killed": status is None})


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "serve":
        serve()
    else:
        judge(json.loads(sys.stdin.buffer.readline().decode("utf-8", "surrogatepass")))


main()
