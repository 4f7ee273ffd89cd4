# Sandbox bootstrap: the first process of every sandbox run, started by package sandbox as
# `python3 -I -S -c <this source>`. It never runs untrusted code itself.
#
# stdin starts with 8 hex digits N and an N-byte JSON header; the rest of stdin is left in the
# pipe for the program. The bootstrap
#   1. (mount mode, root inside fresh mount/pid/net namespaces) pivots into a minimal read-only
#      root (build_root): the Python installation, /etc, a few devices, its own /proc, and one
#      scratch tmpfs limited in size and files, so the host's files are out of sight and
#      nothing the program writes outlives the run;
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


MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 1, 2, 4, 8, 32, 4096, 16384, 1 << 18
# statvfs flags a read-only bind keeps from its source (a user namespace may not clear them).
KEEP_FLAGS = {1: 1, 2: 2, 4: 4, 8: 8, 1024: 1024, 2048: 2048, 4096: 1 << 21}
SYS_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41, "riscv64": 41, "ppc64le": 203, "s390x": 217}


def build_root(hdr):
    """Mount mode: pivots into a minimal root that holds only what Python needs, read-only
    (/usr, /etc and the interpreter's prefix, the top-level symlinks into /usr), a few device
    nodes, a fresh /proc of the run's PID namespace, and one scratch tmpfs at /tmp limited in
    size and in files (/var/tmp and /dev/shm point into it). Everything else of the host, its
    data files included, is out of sight; the mounts vanish with the namespace."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)

    def check(rc, what):
        if rc != 0:
            err = ctypes.get_errno()
            raise OSError(err, "%s: %s" % (what, os.strerror(err)))

    def mount(src, target, fstype, flags, data=None):
        rc = libc.mount(src and src.encode(), target.encode(), fstype and fstype.encode(), flags, data and data.encode())
        check(rc, "mount %s" % target)

    def bind_ro(src, target):
        if os.path.isdir(src):
            os.makedirs(target, exist_ok=True)
        else:
            open(target, "a").close()
        mount(src, target, None, MS_BIND | MS_REC)
        keep = 0
        f_flag = os.statvfs(src).f_flag
        for st, ms in KEEP_FLAGS.items():
            if f_flag & st:
                keep |= ms
        mount(None, target, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | keep)

    mount(None, "/", None, MS_REC | MS_PRIVATE)
    new = "/tmp"  # any directory serves as the mount point of the new root
    mount("tmpfs", new, "tmpfs", MS_NOSUID, "size=1m,mode=0755")
    binds = ["/usr", "/etc"]
    for path in (os.path.dirname(hdr["argv"][0]), os.path.dirname(os.path.realpath(hdr["argv"][0])), os.path.realpath(sys.base_prefix)):
        if not any(path == b or path.startswith(b + "/") for b in binds):
            binds.append(path)
    for name in sorted(os.listdir("/")):
        path = "/" + name
        if os.path.islink(path):
            target = os.readlink(path)
            if target.lstrip("/").startswith("usr/"):
                os.symlink(target, new + path)
        elif name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32") and os.path.isdir(path):
            binds.append(path)  # a distribution without the merged /usr
    for path in binds:
        if os.path.isdir(path):
            bind_ro(path, new + path)
    os.makedirs(new + "/dev", exist_ok=True)
    for dev in ("null", "zero", "full", "random", "urandom"):
        if os.path.exists("/dev/" + dev):
            open(new + "/dev/" + dev, "a").close()
            mount("/dev/" + dev, new + "/dev/" + dev, None, MS_BIND)
    os.symlink("/proc/self/fd", new + "/dev/fd")
    os.symlink("/tmp", new + "/dev/shm")
    os.makedirs(new + "/var", exist_ok=True)
    os.symlink("/tmp", new + "/var/tmp")
    os.makedirs(new + "/proc", exist_ok=True)
    if hdr["pidns"]:
        mount("proc", new + "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    os.makedirs(new + "/tmp", exist_ok=True)
    mount("tmpfs", new + "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "size=%d,nr_inodes=%d,mode=1777" % (hdr["tmpfs_bytes"], hdr["max_files"]))
    os.makedirs(new + "/.old", exist_ok=True)
    machine = os.uname().machine
    number = SYS_PIVOT_ROOT.get(machine)
    if number is None:
        raise OSError("pivot_root: unknown syscall number on %s" % machine)
    check(libc.syscall(number, new.encode(), (new + "/.old").encode()), "pivot_root")
    os.chdir("/")
    check(libc.umount2(b"/.old", 2), "umount the host root")  # MNT_DETACH
    os.rmdir("/.old")
    mount(None, "/", None, MS_REMOUNT | MS_RDONLY | MS_NOSUID)
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
            build_root(hdr)
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
