/**
 * Entry point of a sandbox simulation worker (`lib/sandbox/workers.ts`):
 * rebuilds the built-in instruments, runs the product a task names and posts
 * its progress reports and output back. Loaded only with `new Worker(...)`;
 * installing the message handler is its purpose.
 *
 * @module
 */
import type { ProgressReport } from "../instrument.ts";
import type { SimulationTask } from "../workers.ts";
import { packOutput } from "../workers.ts";
import { builtinInstruments } from "./index.ts";

interface WorkerScope {
  postMessage(message: unknown): void;
  onmessage: ((e: MessageEvent<{ id: number; task: SimulationTask }>) => void) | null;
}

const scope = globalThis as unknown as WorkerScope;
const instruments = new Map(builtinInstruments().map((i) => [i.name, i]));

scope.onmessage = async (e) => {
  const { id, task } = e.data;
  try {
    const spec = instruments.get(task.instrument)?.products[task.product];
    if (!spec) throw new Error(`no built-in product ${task.instrument}/${task.product}`);
    const fn = task.dummy && spec.dummy ? spec.dummy : spec.run;
    const out = await fn.call(spec, task.params, {
      seed: task.seed,
      jobId: task.jobId,
      user: task.user,
      numpyModule: task.numpyModule,
      signal: new AbortController().signal,
      report: (report: ProgressReport) => scope.postMessage({ id, type: "report", report }),
    });
    scope.postMessage({ id, type: "done", output: packOutput(out ?? {}) });
  } catch (err) {
    const x = err instanceof Error ? err : new Error(String(err));
    scope.postMessage({ id, type: "error", name: x.name, message: x.message });
  }
};
