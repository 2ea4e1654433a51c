/**
 * A small logger hierarchy modelled on Python's `logging`, rooted at
 * `oda_api`, so the seed notebooks' logging cell has a one-line equivalent:
 *
 * ```ts
 * getLogger("oda_api").setLevel("INFO");
 * ```
 *
 * Child loggers (`oda_api.token`, `oda_api.api`, ...) inherit the level of the
 * nearest ancestor that has one; the default is WARNING. Records carry
 * structured `fields` (e.g. `{ event: "token_found", location }`) so that
 * progress displays can be driven from them; handlers receive whole records.
 * Without any handler, enabled records are printed to stderr as the bare
 * message (what Python's `StreamHandler()` prints in the seed notebooks; in a
 * Jupyter notebook this is the cell's stderr stream). {@linkcode stderrHandler}
 * prints `LEVEL:name:message` like Python's `basicConfig()`.
 * Messages and string fields are passed through {@linkcode redactSecrets}, so a
 * token can never be logged by accident.
 *
 * @module
 */
import { OdaError, redactSecrets, redactValue } from "./errors.ts";

/**
 * Level names, lowest to highest.
 *
 * @example
 * ```ts
 * import { getLogger, type LogLevelName } from "@oda-hub/oda-api";
 * const level: LogLevelName = "DEBUG";
 * getLogger("oda_api").setLevel(level);
 * ```
 */
export type LogLevelName = "DEBUG" | "INFO" | "WARNING" | "ERROR" | "CRITICAL";

/**
 * What {@linkcode Logger.setLevel} accepts: a level name (any case), `"WARN"`,
 * or a number (Python's `logging.INFO` is 20).
 *
 * @example
 * ```ts
 * import { getLogger, type LogLevelLike } from "@oda-hub/oda-api";
 * const level: LogLevelLike = "info";
 * getLogger("oda_api").setLevel(level);
 * ```
 */
export type LogLevelLike = LogLevelName | Lowercase<LogLevelName> | "WARN" | "warn" | number;

/**
 * Numeric values of the levels (as in Python).
 *
 * @example
 * ```ts
 * import { getLogger } from "@oda-hub/oda-api";
 * import { LOG_LEVELS } from "./log.ts";
 * getLogger("oda_api").isEnabledFor(LOG_LEVELS.INFO);
 * ```
 */
export const LOG_LEVELS: Readonly<Record<LogLevelName, number>> = Object.freeze({
  DEBUG: 10,
  INFO: 20,
  WARNING: 30,
  ERROR: 40,
  CRITICAL: 50,
});

/**
 * One log record.
 *
 * @example
 * ```ts
 * import { getLogger, type LogRecord } from "@oda-hub/oda-api";
 * const seen: LogRecord[] = [];
 * getLogger("oda_api").addHandler((r) => seen.push(r));
 * ```
 */
export interface LogRecord {
  /** Logger name, e.g. `oda_api.token`. */
  name: string;
  /** Level name. */
  level: LogLevelName;
  /** Message, with secrets redacted. */
  message: string;
  /** Milliseconds since the epoch. */
  time: number;
  /** Structured fields (event kind, job id, progress...). */
  fields: Record<string, unknown>;
}

/**
 * Something that receives records.
 *
 * @example
 * ```ts
 * import { getLogger, type LogHandler } from "@oda-hub/oda-api";
 * const toConsole: LogHandler = (r) => console.log(`[${r.level}] ${r.message}`, r.fields);
 * getLogger("oda_api").addHandler(toConsole);
 * ```
 */
export type LogHandler = (record: LogRecord) => void;

const ROOT = "oda_api";

const LEVEL_ALIASES: Record<string, LogLevelName> = { WARN: "WARNING", FATAL: "CRITICAL" };

function levelValue(level: LogLevelLike): number {
  if (typeof level === "number") {
    if (!Number.isFinite(level)) throw new OdaError("INVALID_ARGUMENT", `invalid log level ${level}`);
    return level;
  }
  const name = String(level).toUpperCase();
  const v = LOG_LEVELS[(LEVEL_ALIASES[name] ?? name) as LogLevelName];
  if (v === undefined) {
    throw new OdaError(
      "INVALID_ARGUMENT",
      `unknown log level ${JSON.stringify(level)}: use DEBUG, INFO, WARNING, ERROR or CRITICAL`,
    );
  }
  return v;
}

function levelName(level: LogLevelLike): LogLevelName {
  const v = levelValue(level);
  let best: LogLevelName = "DEBUG";
  for (const [n, x] of Object.entries(LOG_LEVELS) as [LogLevelName, number][]) if (v >= x) best = n;
  return best;
}

/**
 * The level name for a number or a (case-insensitive) name: `levelToName(20)` is `"INFO"`.
 *
 * @example
 * ```ts
 * import { getLogger } from "@oda-hub/oda-api";
 * import { levelToName } from "./log.ts";
 * console.log(levelToName(getLogger("oda_api").getEffectiveLevel())); // "WARNING" by default
 * ```
 */
export function levelToName(level: LogLevelLike): LogLevelName {
  return levelName(level);
}

/**
 * A named logger. Get one with {@linkcode getLogger}.
 *
 * @example
 * ```ts
 * import { getLogger } from "@oda-hub/oda-api";
 * const log = getLogger("oda_api.example");
 * log.info("hello", { answer: 42 });
 * ```
 */
export class Logger {
  /** Full dotted name. */
  readonly name: string;
  #level: number | undefined;
  #handlers: LogHandler[] = [];
  /** Whether records also go to the parent's handlers (default true). */
  propagate = true;

  /** Use {@linkcode getLogger} instead. */
  constructor(name: string) {
    this.name = name;
  }

  /**
   * Set this logger's own level (a name such as `"INFO"` — case-insensitive,
   * `"WARN"` accepted — or a number); `undefined` inherits from the parent.
   */
  setLevel(level: LogLevelLike | undefined): this {
    this.#level = level === undefined ? undefined : levelValue(level);
    return this;
  }

  /** This logger's own level, or `undefined` when it inherits. */
  getLevel(): number | undefined {
    return this.#level;
  }

  /** The level in force for this logger (own or inherited), as a number; WARNING when nobody set one. */
  getEffectiveLevel(): number {
    for (const l of lineage(this, false)) {
      if (l.#level !== undefined) return l.#level;
    }
    return LOG_LEVELS.WARNING;
  }

  /** Whether a record of this level would be emitted. */
  isEnabledFor(level: LogLevelLike): boolean {
    return levelValue(level) >= this.getEffectiveLevel();
  }

  /** Attach a handler; returns a function that detaches it. */
  addHandler(handler: LogHandler): () => void {
    this.#handlers.push(handler);
    return () => this.removeHandler(handler);
  }

  /** Detach a handler. */
  removeHandler(handler: LogHandler): void {
    const i = this.#handlers.indexOf(handler);
    if (i >= 0) this.#handlers.splice(i, 1);
  }

  /**
   * Emit a record at `level` with optional structured fields. The message and
   * every string in `fields` go through {@linkcode redactSecrets}. Handlers of
   * this logger and of its ancestors (while `propagate` is true) receive the
   * record; a handler that throws is reported on stderr and does not stop the
   * others. When no handler exists anywhere, the message alone is written to
   * stderr (the notebook's stderr stream in Jupyter), like Python's
   * `StreamHandler()` in the seed notebooks.
   */
  log(level: LogLevelLike, message: string, fields: Record<string, unknown> = {}): void {
    if (!this.isEnabledFor(level)) return;
    const record: LogRecord = {
      name: this.name,
      level: levelName(level),
      message: redactSecrets(String(message)),
      time: Date.now(),
      fields: redactValue(fields ?? {}),
    };
    let handled = false;
    for (const l of lineage(this, true)) {
      for (const h of [...l.#handlers]) {
        handled = true;
        try {
          h(record);
        } catch (e) {
          writeStderr(`--- logging error in a handler of ${l.name}: ${redactSecrets(String(e))}`);
        }
      }
    }
    if (!handled) lastResort(record);
  }

  /** Log at DEBUG. */
  debug(message: string, fields?: Record<string, unknown>): void {
    this.log("DEBUG", message, fields);
  }
  /** Log at INFO. */
  info(message: string, fields?: Record<string, unknown>): void {
    this.log("INFO", message, fields);
  }
  /** Log at WARNING. */
  warning(message: string, fields?: Record<string, unknown>): void {
    this.log("WARNING", message, fields);
  }
  /** Alias of {@linkcode Logger.warning}. */
  warn(message: string, fields?: Record<string, unknown>): void {
    this.log("WARNING", message, fields);
  }
  /** Log at ERROR. */
  error(message: string, fields?: Record<string, unknown>): void {
    this.log("ERROR", message, fields);
  }
  /** Log at CRITICAL. */
  critical(message: string, fields?: Record<string, unknown>): void {
    this.log("CRITICAL", message, fields);
  }

  /** Remove every handler of this logger (not of its ancestors). */
  clearHandlers(): void {
    this.#handlers.length = 0;
  }

  /** Whether this logger or an ancestor it propagates to has a handler. */
  hasHandlers(): boolean {
    for (const l of lineage(this, true)) {
      if (l.#handlers.length > 0) return true;
    }
    return false;
  }
}

const registry = new Map<string, Logger>();

/** The logger and its ancestors, stopping after a logger with `propagate = false` when asked. */
function lineage(start: Logger, followPropagate: boolean): Logger[] {
  const out: Logger[] = [];
  for (let l: Logger | undefined = start; l; l = followPropagate && !l.propagate ? undefined : parentOf(l)) {
    out.push(l);
  }
  return out;
}

function parentOf(l: Logger): Logger | undefined {
  if (l.name === ROOT || !l.name.includes(".")) return l.name === ROOT ? undefined : getLogger(ROOT);
  return getLogger(l.name.slice(0, l.name.lastIndexOf(".")));
}

/**
 * Get (or create) the logger with this dotted name; names outside the
 * `oda_api` tree are placed under it.
 *
 * @example
 * ```ts
 * import { getLogger } from "@oda-hub/oda-api";
 * getLogger("oda_api").setLevel("INFO"); // show what the client is doing
 * ```
 */
export function getLogger(name: string = ROOT): Logger {
  const full = name === ROOT || name.startsWith(ROOT + ".") ? name : `${ROOT}.${name}`;
  let l = registry.get(full);
  if (!l) {
    l = new Logger(full);
    registry.set(full, l);
  }
  return l;
}

/**
 * Format a record as Python's basic configuration does: `LEVEL:name:message`.
 *
 * @example
 * ```ts
 * import { formatLogRecord } from "./log.ts";
 * import assert from "node:assert/strict";
 * assert.equal(formatLogRecord({ name: "oda_api", level: "INFO", message: "hi", time: 0, fields: {} }), "INFO:oda_api:hi");
 * ```
 */
export function formatLogRecord(record: LogRecord): string {
  return `${record.level}:${record.name}:${record.message}`;
}

/**
 * Write a line to stderr through `console.error`: in the Deno Jupyter kernel only
 * `console.*` output reaches the notebook (raw `Deno.stderr` writes go to the
 * kernel's terminal), so this works in scripts, tests and notebooks alike.
 */
function writeStderr(line: string): void {
  try {
    console.error("%s", line);
  } catch {
    // stderr closed: nothing sensible to do
  }
}

/**
 * Used when no handler exists anywhere: the message alone goes to stderr. With
 * the default WARNING level this is Python's "last resort" handler; after
 * `getLogger("oda_api").setLevel("INFO")` it shows INFO messages too, so the
 * one-line setup of the seed notebooks works without adding a handler.
 */
function lastResort(record: LogRecord): void {
  writeStderr(record.message);
}

/**
 * A handler that writes `LEVEL:name:message` lines to stderr.
 *
 * @example
 * ```ts
 * import { getLogger } from "@oda-hub/oda-api";
 * import { stderrHandler } from "./log.ts";
 * getLogger("oda_api").addHandler(stderrHandler);
 * ```
 */
export function stderrHandler(record: LogRecord): void {
  writeStderr(formatLogRecord(record));
}

/**
 * One-line logging setup, the equivalent of the seed notebooks'
 * `logging.getLogger('oda_api').setLevel(...)` plus `addHandler(StreamHandler())`.
 * Returns a function that undoes it.
 *
 * @example
 * ```ts
 * import { configureLogging } from "@oda-hub/oda-api";
 * const undo = configureLogging("INFO");
 * undo();
 * ```
 */
export function configureLogging(
  level: LogLevelLike = "INFO",
  handler: LogHandler = stderrHandler,
): () => void {
  const root = getLogger(ROOT);
  const previous = root.getLevel();
  root.setLevel(level);
  const detach = root.addHandler(handler);
  return () => {
    detach();
    root.setLevel(previous);
  };
}
