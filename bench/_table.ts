/**
 * Shared helpers of the benchmark suite (`deno task bench`): result rows, the
 * one-table printer, robust statistics and the kernel's peak-RSS counter.
 *
 * A workload script prints one `BENCH {json}` line per {@linkcode BenchRow};
 * `bench/run.ts` collects them from every workload's subprocess and prints the
 * table.
 *
 * @module
 */

/** One line of the suite's table. */
export interface BenchRow {
  /** What is measured. */
  figure: string;
  /** Measured value (in `unit`). */
  value: number;
  /** Unit of `value` and `floor` (`ms`, `MB`, `×resp`, `req/min`...). */
  unit: string;
  /** The floor measured in the same run (same unit), when the target is relative. */
  floor?: number | null;
  /** What the floor is. */
  floorWhat?: string;
  /** Target, readable (`≤ 1.5× floor`, `≤ 300 ms`). */
  target: string;
  /** Limit checked: `ratio` ≤ limit when `on` is "ratio", else `value` ≤ limit. */
  limit: number;
  /** Which number the limit applies to. */
  on: "ratio" | "value";
  /** Workload that produced the row (filled by the runner). */
  workload?: string;
}

/** Ratio value/floor of a row (null when there is no floor). */
export function ratioOf(r: BenchRow): number | null {
  return r.floor ? r.value / r.floor : null;
}

/** Whether a row meets its target. */
export function passes(r: BenchRow): boolean {
  const x = r.on === "ratio" ? ratioOf(r) : r.value;
  return x !== null && Number.isFinite(x) && x <= r.limit;
}

/** Emit a row from a workload (one `BENCH {json}` stdout line). */
export function emit(row: BenchRow): void {
  console.log(`BENCH ${JSON.stringify(row)}`);
}

/** Emit a free-form note from a workload (printed under the table). */
export function note(text: string): void {
  console.log(`BENCHNOTE ${JSON.stringify(text)}`);
}

/** Median of numbers. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  if (!s.length) return NaN;
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Minimum of numbers. */
export function best(xs: readonly number[]): number {
  return Math.min(...xs);
}

/**
 * Time two operations interleaved round by round (both see the same machine
 * load); returns all samples of each.
 */
export async function interleave(
  rounds: number,
  a: () => unknown | Promise<unknown>,
  b: () => unknown | Promise<unknown>,
): Promise<[number[], number[]]> {
  const ta: number[] = [];
  const tb: number[] = [];
  const gc = (globalThis as unknown as { gc?: () => void }).gc;
  for (let i = 0; i < rounds; i++) {
    const order: [() => unknown, number[]][] = i % 2 ? [[b, tb], [a, ta]] : [[a, ta], [b, tb]];
    for (const [fn, out] of order) {
      gc?.();
      const t0 = performance.now();
      await fn();
      out.push(performance.now() - t0);
    }
  }
  return [ta, tb];
}

/** The kernel's peak resident set size of this process (VmHWM), bytes. */
export function peakRss(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(Deno.readTextFileSync("/proc/self/status"));
  return m ? Number(m[1]) * 1024 : NaN;
}

/** Current resident set size (VmRSS), bytes. */
export function currentRss(): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(Deno.readTextFileSync("/proc/self/status"));
  return m ? Number(m[1]) * 1024 : Deno.memoryUsage().rss;
}

/** Reset VmHWM to the current RSS (Linux `clear_refs` 5); false when not permitted. */
export function resetPeakRss(): boolean {
  try {
    Deno.writeTextFileSync("/proc/self/clear_refs", "5");
    return true;
  } catch {
    return false;
  }
}

function fmtNum(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return "—";
  const a = Math.abs(x);
  return a >= 100 ? x.toFixed(0) : a >= 10 ? x.toFixed(1) : x.toFixed(2);
}

/** Render rows as a Markdown table (figure, value, floor, ratio, target, pass/fail). */
export function renderTable(rows: readonly BenchRow[]): string {
  const head = ["figure", "value", "floor", "ratio", "target", "result"];
  const body = rows.map((r) => {
    const ratio = ratioOf(r);
    return [
      r.figure,
      `${fmtNum(r.value)} ${r.unit}`,
      r.floor ? `${fmtNum(r.floor)} ${r.unit}${r.floorWhat ? ` (${r.floorWhat})` : ""}` : "—",
      ratio === null ? "—" : `${ratio.toFixed(2)}×`,
      r.target,
      passes(r) ? "pass" : "FAIL",
    ];
  });
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => [...b[i]].length)));
  const line = (c: string[]) => `| ${c.map((x, i) => x + " ".repeat(w[i] - [...x].length)).join(" | ")} |`;
  return [line(head), `| ${w.map((n) => "-".repeat(n)).join(" | ")} |`, ...body.map(line)].join("\n");
}
