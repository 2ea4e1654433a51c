/**
 * The command-line flags of the sandbox's memory bounds, shared by `deno task sandbox` (lib/sandbox/main.ts)
 * and `oda sandbox` (lib/cli/main.ts): names, help, value parsers and the {@linkcode SandboxOptions} field
 * each sets. Data only: importing it starts nothing.
 *
 * @module
 */
import type { SandboxOptions } from "./server.ts";

type Uploads = NonNullable<SandboxOptions["userUploads"]>;

/** One command-line flag of a sandbox bound: its name, help, value parser and the option it sets. */
export interface SandboxBoundFlag {
  /** Flag name without the leading `--`. */
  readonly name: string;
  /** Placeholder of the value in the usage line (`N`, `BYTES`, `S`). */
  readonly value: string;
  /** One line of help (what it bounds, its default). */
  readonly help: string;
  /** The value, or a `RangeError` whose message is one line naming the flag. */
  parse(text: string): number;
  /** Set the parsed value on the options. */
  apply(options: SandboxOptions, value: number): void;
}

const BYTE_UNITS: Record<string, number> = { "": 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 };

/**
 * A whole number ≥ 0 given to `--name` (with `units`, of bytes with an optional `KiB`, `MiB` or `GiB`), or a
 * one-line `RangeError` naming the flag.
 *
 * @example
 * ```ts
 * import { wholeNumber } from "./flags.ts";
 * import assert from "node:assert/strict";
 * assert.equal(wholeNumber("max-job-bytes", "3MiB", true), 3 * 1024 * 1024);
 * ```
 */
export function wholeNumber(name: string, text: string, units: boolean): number {
  const m = /^\s*(\d+)\s*(KiB|MiB|GiB)?\s*$/.exec(text);
  const x = m && (units || !m[2]) ? Number(m[1]) * BYTE_UNITS[m[2] ?? ""]! : NaN;
  if (!Number.isSafeInteger(x)) {
    const what = units ? "a whole number of bytes (optionally KiB, MiB or GiB)" : "a whole number ≥ 0";
    throw new RangeError(`--${name}: '${text}' is not ${what}.`);
  }
  return x;
}

/**
 * A positive finite number of seconds given to `--name` (with `orZero`, 0 too), or a one-line `RangeError`
 * naming the flag.
 *
 * @example
 * ```ts
 * import { positiveSeconds } from "./flags.ts";
 * import assert from "node:assert/strict";
 * assert.equal(positiveSeconds("job-ttl", "2.5"), 2.5);
 * assert.equal(positiveSeconds("job-seconds", "0", true), 0);
 * ```
 */
export function positiveSeconds(name: string, text: string, orZero = false): number {
  const x = Number(text);
  if (text.trim() === "" || !Number.isFinite(x) || x < 0 || (x === 0 && !orZero)) {
    const what = orZero ? "a number of seconds ≥ 0" : "a positive number of seconds";
    throw new RangeError(`--${name}: '${text}' is not ${what}.`);
  }
  return x;
}

function count(name: string, help: string, apply: (o: SandboxOptions, n: number) => void): SandboxBoundFlag {
  return { name, value: "N", help, parse: (t) => wholeNumber(name, t, false), apply };
}

function bytes(name: string, help: string, apply: (o: SandboxOptions, n: number) => void): SandboxBoundFlag {
  return { name, value: "BYTES", help, parse: (t) => wholeNumber(name, t, true), apply };
}

function uploads(
  o: SandboxOptions,
  key: "publicUploads" | "userUploads" | "totalUploads",
  limit: Uploads,
): void {
  o[key] = { ...o[key], ...limit };
}

/**
 * The flags of the sandbox's memory bounds (shared by `deno task sandbox` and `oda sandbox`), each setting
 * one {@linkcode SandboxOptions} field. Counts are whole numbers ≥ 0, byte sizes whole numbers with an
 * optional `KiB`, `MiB` or `GiB`, and `--job-ttl` a positive number of seconds.
 *
 * @example
 * ```ts
 * import { SANDBOX_BOUND_FLAGS } from "./flags.ts";
 * import type { SandboxOptions } from "./server.ts";
 * import assert from "node:assert/strict";
 * const flag = SANDBOX_BOUND_FLAGS.find((f) => f.name === "user-upload-bytes")!;
 * const options: SandboxOptions = {};
 * flag.apply(options, flag.parse("2KiB"));
 * assert.deepEqual(options.userUploads, { maxBytes: 2048 });
 * assert.throws(() => flag.parse("-1"), RangeError);
 * ```
 */
export const SANDBOX_BOUND_FLAGS: readonly SandboxBoundFlag[] = [
  count("max-jobs", "job records kept (default 100000)", (o, n) => o.maxJobs = n),
  bytes("max-job-bytes", "bytes of all job records (default 256MiB)", (o, n) => o.maxJobBytes = n),
  count("max-results", "finished results kept (default 200)", (o, n) => o.maxResults = n),
  bytes(
    "max-result-bytes",
    "bytes of finished results kept (default 256MiB)",
    (o, n) => o.maxResultBytes = n,
  ),
  {
    name: "job-ttl",
    value: "S",
    help: "idle job records are dropped after S seconds (default 86400)",
    parse: (t) => positiveSeconds("job-ttl", t),
    apply: (o, n) => o.jobTtlSeconds = n,
  },
  count(
    "public-upload-files",
    "files kept of uploads without a token (default 32)",
    (o, n) => uploads(o, "publicUploads", { maxFiles: n }),
  ),
  bytes(
    "public-upload-bytes",
    "bytes kept of uploads without a token (default 64MiB)",
    (o, n) => uploads(o, "publicUploads", { maxBytes: n }),
  ),
  count(
    "user-upload-files",
    "files kept per token subject (default 32)",
    (o, n) => uploads(o, "userUploads", { maxFiles: n }),
  ),
  bytes(
    "user-upload-bytes",
    "bytes kept per token subject (default 64MiB)",
    (o, n) => uploads(o, "userUploads", { maxBytes: n }),
  ),
  count(
    "total-upload-files",
    "files kept of all uploads (default 256)",
    (o, n) => uploads(o, "totalUploads", { maxFiles: n }),
  ),
  bytes(
    "total-upload-bytes",
    "bytes kept of all uploads (default 256MiB)",
    (o, n) => uploads(o, "totalUploads", { maxBytes: n }),
  ),
];
