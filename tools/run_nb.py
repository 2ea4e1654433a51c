#!/usr/bin/python3
"""Run a notebook headless with a Jupyter kernel, tolerating late outputs.

usage: /usr/bin/python3 tools/run_nb.py IN.ipynb OUT.ipynb [--quiet 0.3] [--timeout 300]
                                        [--cwd DIR] [--kernel deno]

Why not `jupyter nbconvert --execute`: the Deno kernel sometimes publishes
`status: idle` before a cell's outputs, and nbclient stops listening at idle,
so outputs are silently dropped (toolchain.md, section 3). This runner keeps
reading iopub for a quiet window after idle (extended by every late message),
applies `update_display_data` in place by display_id, and:

- writes the executed notebook to OUT.ipynb (even when a cell failed);
- stops at the first failing cell (like nbconvert) unless --keep-going;
- exits 1 when any cell produced an `error` output or an `execute_reply` with
  status "error", 2 on usage errors, 3 when a cell timed out or the kernel died.

Cells whose displays were updated in place get `metadata.run_nb.display_updates` (the number of
`update_display_data` messages). A one-line JSON summary goes to stdout: {"cells": N, "errors": N, "seconds": S}.
The kernel inherits this process's environment (set NO_COLOR=1, ODA_TOKEN...).
"""
import argparse
import json
import os
import queue
import sys
import time

import nbformat
from nbformat.v4 import output_from_msg
from jupyter_client.manager import KernelManager


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("src")
    ap.add_argument("dst")
    ap.add_argument("--quiet", type=float, default=0.3, help="seconds of silence after idle (default 0.3)")
    ap.add_argument("--timeout", type=float, default=300.0, help="per-cell timeout in seconds")
    ap.add_argument("--cwd", default=None, help="kernel working directory (default: the notebook's folder)")
    ap.add_argument("--kernel", default=None, help="kernel name (default: the notebook's kernelspec, else deno)")
    ap.add_argument("--keep-going", action="store_true", help="run every cell even after an error")
    args = ap.parse_args()

    nb = nbformat.read(args.src, 4)
    kernel = args.kernel or nb.metadata.get("kernelspec", {}).get("name", "deno")
    cwd = args.cwd or os.path.dirname(os.path.abspath(args.src))
    env = dict(os.environ)
    env.setdefault("NO_COLOR", "1")
    km = KernelManager(kernel_name=kernel)
    km.start_kernel(cwd=cwd, env=env)
    kc = km.client()
    kc.start_channels()
    started = time.time()
    errors = 0
    cells = 0
    late = 0.0  # the latest a message came after its cell's idle (seconds)
    fatal = None
    try:
        kc.wait_for_ready(timeout=60)
        by_display_id = {}
        for cell in (c for c in nb.cells if c.cell_type == "code"):
            cell.outputs = []
            cell.execution_count = None
            if not cell.source.strip():
                continue
            cells += 1
            mid = kc.execute(cell.source, allow_stdin=False)
            idle_at = None
            deadline = time.time() + args.timeout
            cell_error = False
            updates = 0
            while True:
                if time.time() > deadline:
                    fatal = f"cell {cells} timed out after {args.timeout:.0f} s"
                    break
                if not km.is_alive():
                    fatal = f"kernel died during cell {cells}"
                    break
                try:
                    m = kc.get_iopub_msg(timeout=0.05)
                except queue.Empty:
                    if idle_at and time.time() - idle_at > args.quiet:
                        break
                    continue
                if m["parent_header"].get("msg_id") != mid:
                    continue
                mt, c = m["msg_type"], m["content"]
                if mt == "status":
                    if c["execution_state"] == "idle":
                        idle_at = idle_at_first = time.time()
                    continue
                if idle_at:
                    late = max(late, time.time() - idle_at_first)
                    idle_at = time.time()  # late message: extend the quiet window
                if mt == "execute_input":
                    cell.execution_count = c.get("execution_count")
                    continue
                if mt == "clear_output":
                    cell.outputs = []
                    continue
                if mt == "update_display_data":
                    updates += 1
                    for o in by_display_id.get(c.get("transient", {}).get("display_id"), []):
                        o.data, o.metadata = c["data"], c.get("metadata", {})
                    continue
                if mt not in ("stream", "display_data", "execute_result", "error"):
                    continue
                out = output_from_msg(m)
                if mt == "error":
                    cell_error = True
                if mt == "stream" and cell.outputs and cell.outputs[-1].output_type == "stream" \
                        and cell.outputs[-1].name == out.name:
                    cell.outputs[-1].text += out.text
                    continue
                did = c.get("transient", {}).get("display_id")
                if did:
                    by_display_id.setdefault(did, []).append(out)
                cell.outputs.append(out)
            if updates:
                cell.metadata["run_nb"] = {"display_updates": updates}
            if fatal:
                break
            try:
                # the reply to this cell's request (skip any stale reply to an earlier one)
                reply = kc.get_shell_msg(timeout=60)
                while reply["parent_header"].get("msg_id") != mid:
                    reply = kc.get_shell_msg(timeout=60)
                if reply["content"].get("status") == "error":
                    cell_error = True
                    if not any(o.output_type == "error" for o in cell.outputs):
                        rc = reply["content"]
                        cell.outputs.append(nbformat.v4.new_output(
                            "error", ename=rc.get("ename", "Error"), evalue=rc.get("evalue", ""),
                            traceback=rc.get("traceback", [])))
            except queue.Empty:
                fatal = f"no execute_reply for cell {cells}"
                break
            if cell_error:
                errors += 1
                src = cell.source.strip().splitlines()[0][:80]
                print(f"run_nb: error in cell {cells}: {src}", file=sys.stderr)
                if not args.keep_going:
                    break
    finally:
        try:
            kc.stop_channels()
        except Exception:
            pass
        km.shutdown_kernel(now=False)
    nbformat.write(nb, args.dst)
    print(json.dumps({"cells": cells, "errors": errors, "seconds": round(time.time() - started, 2),
                      "late_after_idle_ms": round(late * 1000, 1), "fatal": fatal}))
    if fatal:
        print(f"run_nb: {fatal}", file=sys.stderr)
        return 3
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
