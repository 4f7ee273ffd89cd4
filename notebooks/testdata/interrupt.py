"""Drives a real collm kernel through an interrupted training cell, for TestInterruptSavesRun.

Usage: interrupt.py WORK_DIR RUN_NAME

It starts the "collm" kernel (found through JUPYTER_DATA_DIR like any Jupyter client), wires it,
starts a cell that trains RUN_NAME towards 10000 updates with widgets.Train, interrupts the kernel
(as the notebook's stop button does) once metrics.jsonl has 3 lines, then runs a cell that reopens
the run and trains 2 more updates. The run directory is $COLLM_RUNS/RUN_NAME. It prints one JSON
object of observations on stdout; the Go test judges them. Exit status 2 means the script itself
could not get that far (the reason is on stderr).
"""
import json
import os
import queue
import re
import sys
import time

from jupyter_client.manager import KernelManager

TRAIN = """import (
	_ "github.com/collm/collm/envs/all"
	"github.com/collm/collm/kernel"
	"github.com/collm/collm/maac"
	"github.com/collm/collm/widgets"
)

const runName = %(name)s

%%%%
cfg := maac.RunConfig{Env: "toy-coord", EnvOptions: map[string]string{"turns": "2"}, Algorithm: "cc",
	CC: &maac.CCConfig{Common: maac.Common{NumGenerations: 4, TasksPerUpdate: 4, MaxNewTokens: 1,
		Temperature: 1, TopP: 1, ActorLR: 3e-3, Seed: 1}, ActorCritic: maac.ActorCritic{CriticLR: 3e-3}}}
trainer, run, err := kernel.CreateRun(runName, cfg)
if err != nil {
	panic(err)
}
defer run.Close()
ctx, stop := kernel.InterruptContext()
defer stop()
if err := widgets.Train(ctx, trainer, run, 10000, widgets.TrainOptions{}); err != nil {
	panic(err)
}
fmt.Println("training cell finished without an interrupt")
"""

RESUME = """%%
trainer, run, err := kernel.OpenRun(runName)
if err != nil {
	panic(err)
}
defer run.Close()
fmt.Printf("reopened at update %d\\n", trainer.Updates())
if err := widgets.Train(context.Background(), trainer, run, trainer.Updates()+2, widgets.TrainOptions{}); err != nil {
	panic(err)
}
fmt.Printf("updates after resume: %d\\n", trainer.Updates())
"""


def fail(msg):
    print("interrupt.py: " + msg, file=sys.stderr)
    sys.exit(2)


def go_quote(s):
    return json.dumps(s)  # a JSON string is a valid Go string literal for plain names


def output_text(msg):
    """The text a cell shows for one iopub message: stream text or the HTML/plain of a display."""
    content = msg["content"]
    if msg["msg_type"] == "stream":
        return content.get("text", "")
    if msg["msg_type"] in ("display_data", "update_display_data", "execute_result"):
        data = content.get("data", {})
        return data.get("text/plain", "") + data.get("text/html", "")
    if msg["msg_type"] == "error":
        return "%s: %s\n%s" % (content.get("ename"), content.get("evalue"), "\n".join(content.get("traceback", [])))
    return ""


def collect(kc, msg_id, deadline):
    """Gathers the outputs of the request msg_id until the kernel goes idle for it."""
    texts, types = [], []
    while time.monotonic() < deadline:
        try:
            msg = kc.get_iopub_msg(timeout=max(0.1, deadline - time.monotonic()))
        except queue.Empty:
            break
        if msg.get("parent_header", {}).get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "status" and msg["content"].get("execution_state") == "idle":
            return "".join(texts), types, True
        if msg["msg_type"] not in ("status", "execute_input"):
            types.append(msg["msg_type"])
            texts.append(output_text(msg))
    return "".join(texts), types, False


def reply(kc, msg_id, deadline):
    while time.monotonic() < deadline:
        try:
            msg = kc.get_shell_msg(timeout=max(0.1, deadline - time.monotonic()))
        except queue.Empty:
            break
        if msg.get("parent_header", {}).get("msg_id") == msg_id:
            return msg["content"]
    return None


def run_cell(kc, code, timeout):
    msg_id = kc.execute(code)
    deadline = time.monotonic() + timeout
    content = reply(kc, msg_id, deadline)
    text, types, idle = collect(kc, msg_id, time.monotonic() + 10)
    return content, text, types


def count_lines(path):
    try:
        with open(path) as f:
            return sum(1 for line in f if line.strip())
    except FileNotFoundError:
        return 0


def main():
    if len(sys.argv) != 3:
        fail(__doc__)
    work, name = sys.argv[1], sys.argv[2]
    run_dir = os.path.join(os.environ["COLLM_RUNS"], name)
    metrics = os.path.join(run_dir, "metrics.jsonl")
    result = {}
    km = KernelManager(kernel_name="collm")
    km.start_kernel(cwd=work)
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=120)
        content, text, _ = run_cell(kc, "!*collm kernel wire", 300)
        if content is None or content.get("status") != "ok" or "collm wired" not in text:
            fail("wiring failed: %r %s" % (content, text))

        msg_id = kc.execute(TRAIN % {"name": go_quote(name)})
        deadline = time.monotonic() + 600  # compiling the cell dominates on a busy machine
        while count_lines(metrics) < 3:
            if time.monotonic() > deadline:
                fail("the training cell logged no 3 updates in 600 s")
            try:  # a reply before the interrupt means the cell failed to start
                early = kc.get_shell_msg(timeout=0.2)
                if early.get("parent_header", {}).get("msg_id") == msg_id:
                    text, _, _ = collect(kc, msg_id, time.monotonic() + 10)
                    fail("the training cell ended before the interrupt: %r\n%s" % (early["content"], text))
            except queue.Empty:
                pass
        result["lines_at_interrupt"] = count_lines(metrics)
        start = time.monotonic()
        km.interrupt_kernel()
        content = reply(kc, msg_id, start + 60)
        result["reply_seconds"] = time.monotonic() - start
        result["reply_status"] = None if content is None else content.get("status")
        text, types, _ = collect(kc, msg_id, time.monotonic() + 10)
        # The message, once as HTML and once on stderr; the final charts make the rest large.
        result["interrupt_messages"] = re.findall(r"interrupted: run [^<\n]*", text)
        result["interrupt_has_chart"] = "collm-chart" in text
        result["interrupt_output_types"] = sorted(set(types))
        result["metrics_lines"] = count_lines(metrics)
        try:
            with open(os.path.join(run_dir, "checkpoint", "state.json")) as f:
                result["state_update"] = json.load(f)["update"]
        except (OSError, ValueError, KeyError) as e:
            result["state_error"] = str(e)

        content, text, _ = run_cell(kc, RESUME, 600)
        result["resume_status"] = None if content is None else content.get("status")
        result["resume_lines"] = re.findall(r"(?:reopened at update|updates after resume:) \d+", text)
        if result["resume_status"] != "ok":
            result["resume_error"] = text[-3000:]
        result["metrics_lines_after"] = count_lines(metrics)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
