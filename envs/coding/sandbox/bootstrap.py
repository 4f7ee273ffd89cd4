# Sandbox bootstrap: the first process of every sandbox run, started by package sandbox as
# `python3 -I -S -c <this source>`. It never runs untrusted code itself.
#
# stdin starts with 8 hex digits N and an N-byte JSON header; the rest of stdin is left in the
# pipe for the program. The bootstrap
#   1. (mount mode, root inside fresh mount/pid/net namespaces) makes mounts private and puts
#      size-limited tmpfs over /tmp, /var/tmp and /dev/shm, so the program's scratch space and
#      every world-writable directory are fresh and vanish with the run;
#   2. writes the header's files into the scratch directory and makes it the working directory;
#   3. drops to the header's uid/gid (root mode), so RLIMIT_NPROC binds;
#   4. sets the rlimits (CPU, address space, processes, file size, no core files);
#   5. forks the program (python with the scrubbed environment), reaps every process that is
#      re-parented to it while waiting, and reports the program's exit status as one JSON line
#      on fd 3, which the program never sees.
# In a PID namespace the bootstrap is PID 1: when it exits the kernel kills whatever the
# program left behind. Without one it kills its own process group before exiting.
import json
import os
import resource
import signal
import sys


def read_exact(n):
    buf = b""
    while len(buf) < n:
        chunk = os.read(0, n - len(buf))
        if not chunk:
            raise EOFError("sandbox header truncated")
        buf += chunk
    return buf


def report(obj):
    os.write(3, (json.dumps(obj) + "\n").encode())


def mount_tmpfs(hdr):
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    MS_REC, MS_PRIVATE, MS_NOSUID, MS_NODEV = 16384, 1 << 18, 2, 4

    def mount(src, target, fstype, flags, data):
        rc = libc.mount(
            src and src.encode(), target.encode(), fstype and fstype.encode(), flags, data and data.encode()
        )
        if rc != 0:
            err = ctypes.get_errno()
            raise OSError(err, "mount %s: %s" % (target, os.strerror(err)))

    mount(None, "/", None, MS_REC | MS_PRIVATE, None)
    size = "size=%d" % hdr["tmpfs_bytes"]
    for d in ("/tmp", "/var/tmp", "/dev/shm"):
        if os.path.isdir(d):
            mount("tmpfs", d, "tmpfs", MS_NOSUID | MS_NODEV, size + ",mode=1777")
    os.makedirs(hdr["workdir"], exist_ok=True)
    if hdr["uid"] >= 0:
        os.chown(hdr["workdir"], hdr["uid"], hdr["gid"])


def tasks_of_uid(uid):
    """Counts the tasks (threads) of processes whose real uid is uid, as RLIMIT_NPROC does."""
    n = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/status" % pid) as f:
                real_uid, threads = None, 0
                for line in f:
                    if line.startswith("Uid:"):
                        real_uid = int(line.split()[1])
                    elif line.startswith("Threads:"):
                        threads = int(line.split()[1])
            if real_uid == uid:
                n += threads
        except (OSError, ValueError, IndexError):
            pass
    return n


def set_limits(hdr):
    def lim(res, soft, hard=None):
        if soft is None or soft < 0:
            return
        resource.setrlimit(res, (soft, soft if hard is None else hard))

    lim(resource.RLIMIT_CORE, 0)
    lim(resource.RLIMIT_CPU, hdr["cpu_seconds"], hdr["cpu_seconds"] + 1)
    lim(resource.RLIMIT_AS, hdr["memory_bytes"])
    nproc = hdr["max_procs"]
    if hdr["nproc_relative"]:
        # The uid is shared with the caller's other processes, which count too.
        nproc += tasks_of_uid(os.getuid())
    lim(resource.RLIMIT_NPROC, nproc)
    lim(resource.RLIMIT_FSIZE, hdr["file_bytes"])


def main():
    n = int(read_exact(8), 16)
    hdr = json.loads(read_exact(n))
    try:
        if hdr["mount"]:
            mount_tmpfs(hdr)
        os.chdir(hdr["workdir"])
        for name, content in hdr["files"].items():
            with open(name, "w", encoding="utf-8", errors="surrogateescape") as f:
                f.write(content)
            if hdr["uid"] >= 0:
                os.chown(name, hdr["uid"], hdr["gid"])
        if hdr["uid"] >= 0:
            os.setgroups([])
            os.setgid(hdr["gid"])
            os.setuid(hdr["uid"])
        set_limits(hdr)
    except Exception as e:  # reported, never raised: the caller tells setup failures apart
        report({"setup_error": "%s: %s" % (type(e).__name__, e)})
        return
    pid = os.fork()
    if pid == 0:
        try:
            os.close(3)
            for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGPIPE):
                signal.signal(sig, signal.SIG_DFL)
            os.execve(hdr["argv"][0], hdr["argv"], hdr["env"])
        finally:
            os._exit(127)
    status = None
    while status is None:
        try:
            p, st = os.wait()
        except ChildProcessError:
            break
        except InterruptedError:
            continue
        if p == pid:
            status = st
    out = {"exit": -1, "signal": 0}
    if status is not None:
        if os.WIFSIGNALED(status):
            out["signal"] = os.WTERMSIG(status)
        else:
            out["exit"] = os.WEXITSTATUS(status)
    report(out)
    if not hdr["pidns"]:
        try:
            os.killpg(0, signal.SIGKILL)
        except OSError:
            pass


main()
