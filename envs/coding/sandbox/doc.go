// Package sandbox runs untrusted Python programs (model-written code) so that whatever they do
// costs a failed run, never the caller.
//
// Every run starts a small bootstrap (bootstrap.py, embedded, run as `python3 -I -S -c`), which
// applies the limits in the child before the program starts, since Go cannot set rlimits
// between fork and exec: Python's own resource module was chosen over prlimit(1) so that
// nothing but the interpreter is needed. Per run:
//   - a wall-clock limit (the whole process group is killed with SIGKILL) and RLIMIT_CPU;
//   - RLIMIT_AS (memory), RLIMIT_FSIZE (file size), RLIMIT_NPROC (processes), no core files;
//   - a fresh scratch directory as cwd, HOME and TMPDIR; a scrubbed environment
//     (PATH, LANG, PYTHONHASHSEED=0 for deterministic string hashing);
//   - stdout and stderr capped (64 KiB by default): the excess is read and dropped, so the
//     program never blocks on a full pipe;
//   - results: exit status, signal, timed out, capped output, duration.
//
// Isolation depends on what the OS allows; New probes and Isolation reports it:
//   - ModeRoot (running as root, as on the training machines): fresh mount, PID, network, IPC
//     and UTS namespaces (clone flags of the bootstrap). The bootstrap, as root inside them,
//     pivots into a minimal root: read-only binds of /usr, /etc and the interpreter's prefix,
//     the null/zero/full/random/urandom devices, a fresh /proc that shows only the run's
//     processes, and one scratch tmpfs at /tmp (/var/tmp and /dev/shm point into it) limited to
//     FileBytes and MaxFiles. The host's other files (data sets with canonical solutions, the
//     caller's checkouts, /run) are not in it, and nothing written survives the run. It then
//     drops to an unprivileged per-run uid (RLIMIT_NPROC does not bind root; for a plain uid
//     it does, and a per-run uid keeps concurrent runs from sharing the budget). It stays as PID 1 of the namespace
//     and forks the program, so the program cannot signal it, and when it exits the kernel
//     kills everything the program left behind (background and setsid'd processes included).
//     No network: only an unconfigured loopback exists.
//   - ModeUserNS (unprivileged, user namespaces allowed): the same inside a user namespace;
//     RLIMIT_NPROC then counts all the caller's processes.
//   - ModePlain: no namespaces; rlimits, process-group kill and the scratch directory only
//     (root callers still drop to a per-run uid). The weaker mode where namespaces are not
//     available, chosen only when both others fail (Isolation.Notes says why): the host's
//     files stay readable where permissions allow, the network and /tmp stay reachable, and
//     processes that leave the process group (setsid) can survive.
//
// Start runs a long-lived program (a harness serving many tasks) under the same isolation.
package sandbox
