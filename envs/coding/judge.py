# The coding judge: static analysis and test execution for one joint response, run inside the
# sandbox (package envs/coding/sandbox) by judge.go. It reads one JSON job on stdin and writes
# JSON lines on fd 4 (the sandbox's private channel): one "analysis" line, one "test" line per
# test as it finishes, and a final "done" line. Whatever is missing when the run is killed counts
# as not passed.
#
# The judge itself never executes candidate code: it parses and compiles, then forks one child
# per test. A child loads the program, runs the test's setup statements and the test, and writes
# "P" on a private pipe only after the test statement returned; a child that dies, exits early
# (os._exit, sys.exit) or raises writes nothing or "F<error>". The parent waits with the
# per-test timeout and kills the child's process group when it passes.
import ast
import builtins
import json
import math
import os
import re
import resource
import select
import shutil
import signal
import sys
import time

CHANNEL = 4


def emit(obj):
    data = (json.dumps(obj) + "\n").encode()
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


def run_test(program, prelude, setup, test, entry, timeout):
    """Runs one test in a forked child; returns (passed, timed_out, error)."""
    try:
        codes = [compile(program, "<solution>", "exec"), compile(prelude, "<test>", "exec")]
        setup_codes = [compile(s, "<check>", "exec") for s in setup]
        test_code = compile(test, "<check>", "exec")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as e:
        return False, False, "%s: %s" % (type(e).__name__, e)
    r, w = os.pipe()
    for attempt in range(20):
        try:
            pid = os.fork()
            break
        except BlockingIOError:  # a previous test's fork bomb is still being torn down
            time.sleep(0.05)
            reap()
    else:
        os.close(r)
        os.close(w)
        return False, False, "could not fork a test process"
    if pid == 0:
        os.close(r)
        try:
            os.setpgid(0, 0)
            os.close(CHANNEL)
            null_stdin()
            cpu = int(math.ceil(timeout)) + 1
            _, hard = resource.getrlimit(resource.RLIMIT_CPU)
            if hard == resource.RLIM_INFINITY or cpu < hard:
                resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1 if hard == resource.RLIM_INFINITY else hard))
            ns = {"__name__": "__main__", "__builtins__": builtins}
            exec(codes[0], ns)
            exec(codes[1], ns)
            if entry not in ns:
                raise NameError("entry point %r is not defined" % entry)
            ns["candidate"] = ns[entry]
            for c in setup_codes:
                exec(c, ns)
            exec(test_code, ns)
            os.write(w, b"P")
            os._exit(0)
        except BaseException as e:
            try:
                msg = ("F%s: %s" % (type(e).__name__, e))[:300]
                os.write(w, msg.encode("utf-8", "replace"))
            finally:
                os._exit(1)
    os.close(w)
    deadline = time.monotonic() + timeout
    data, timed_out = b"", False
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            timed_out = True
            break
        ready, _, _ = select.select([r], [], [], left)
        if not ready:
            continue
        data = os.read(r, 4096)
        break
    os.close(r)
    try:
        os.killpg(pid, signal.SIGKILL)
    except OSError:
        pass
    _, status = os.waitpid(pid, 0)
    reap()
    if timed_out:
        return False, True, "timeout after %gs" % timeout
    if data == b"P":
        return True, False, ""
    if data.startswith(b"F"):
        return False, False, data[1:].decode("utf-8", "replace")
    if os.WIFSIGNALED(status):
        return False, False, "killed by signal %d" % os.WTERMSIG(status)
    return False, False, "exited with status %d before the test finished" % os.WEXITSTATUS(status)


def null_stdin():
    """Candidates get /dev/null as stdin: in serve mode stdin carries the next jobs."""
    fd = os.open(os.devnull, os.O_RDONLY)
    os.dup2(fd, 0)
    os.close(fd)


def reap():
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


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
    if run:
        for i, (setup, test) in enumerate(tests):
            if timeouts >= job.get("max_timeouts", 3):
                break
            passed, timed_out, error = run_test(program, prelude, setup, test, entry, job.get("timeout", 10.0))
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


def clear_dir(d, keep):
    try:
        entries = os.listdir(d)
    except OSError:
        return
    for e in entries:
        path = os.path.join(d, e)
        if path == keep or keep.startswith(path + "/"):
            continue
        try:
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path, ignore_errors=True)
            else:
                os.unlink(path)
        except OSError:
            pass


def serve(killall, purge):
    """Persistent mode: one JSON job per stdin line, each judged in a forked child with a fresh
    working directory; the child's output ends with an "end" line. After each job every other
    process of the sandbox is killed (killall: only inside a PID namespace, where the bootstrap
    is init and survives) and the scratch space is emptied (purge: only on private tmpfs)."""
    base = os.getcwd()
    n = 0
    while True:
        line = sys.stdin.buffer.readline()
        if not line:
            return
        n += 1
        try:
            job = json.loads(line.decode("utf-8", "surrogatepass"))
            wall = float(job.get("wall", 60))
        except (ValueError, TypeError) as e:
            emit({"kind": "end", "job": n, "error": "bad job: %s" % e})
            continue
        jobdir = os.path.join(base, "job%d" % n)
        os.mkdir(jobdir, 0o700)
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                os.setpgid(0, 0)
                null_stdin()
                os.chdir(jobdir)
                os.environ["HOME"] = os.environ["TMPDIR"] = jobdir
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
        try:
            os.killpg(pid, signal.SIGKILL)
        except OSError:
            pass
        if status is None:
            os.waitpid(pid, 0)
        if killall:
            try:
                os.kill(-1, signal.SIGKILL)
            except OSError:
                pass
        reap()
        shutil.rmtree(jobdir, ignore_errors=True)
        if purge:
            for d in ("/tmp", "/var/tmp", "/dev/shm"):
                if not os.path.islink(d):  # the sandbox's minimal root points them at /tmp
                    clear_dir(d, base)
        # The leading newline ends a line the killed child may have left unfinished.
        os.write(CHANNEL, b"\n")
        emit({"kind": "end", "job": n, "killed": status is None})


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "serve":
        serve(sys.argv[2] == "1", sys.argv[3] == "1")
    else:
        judge(json.loads(sys.stdin.buffer.read().decode("utf-8", "surrogatepass")))


main()
