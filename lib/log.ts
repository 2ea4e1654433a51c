/**
 * A small logger hierarchy modelled on Python's `logging`, rooted at
 * `oda_api`, so the seed notebooks' logging cell has a one-line equivalent:
 *
 * ```ts
 * getLogger("oda_api").setLevel("INFO");
 * ```
 *
 * Child loggers (`oda_api.token`, `oda_api.api`, ...) inherit the level of the
 * nearest ancestor that has one. Records carry structured `fields`; handlers
 * receive whole records (the terminal handler prints
 * `LEVEL:name:message` to stderr, like Python's basic configuration).
 * Messages are passed through {@linkcode redactSecrets}, so a token can never
 * be logged by accident.
 *
 * @module
 */
import { redactSecrets } from "./errors.ts";

/** Level names, lowest to highest. */
export type LogLevelName = "DEBUG" | "INFO" | "WARNING" | "ERROR" | "CRITICAL";

/** Numeric values of the levels (as in Python). */
export const LOG_LEVELS: Readonly<Record<LogLevelName, number>> = Object.freeze({
  DEBUG: 10,
  INFO: 20,
  WARNING: 30,
  ERROR: 40,
  CRITICAL: 50,
});

/** One log record. */
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

/** Something that receives records. */
export type LogHandler = (record: LogRecord) => void;

const ROOT = "oda_api";

function levelValue(level: LogLevelName | number): number {
  return typeof level === "number" ? level : LOG_LEVELS[level];
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

  /** Set this logger's own level; `undefined` inherits from the parent. */
  setLevel(level: LogLevelName | number | undefined): this {
    this.#level = level === undefined ? undefined : levelValue(level);
    return this;
  }

  /** The level in force for this logger (own or inherited), as a number. */
  getEffectiveLevel(): number {
    for (let l: Logger | undefined = self(this); l; l = parentOf(l)) {
      if (l.#level !== undefined) return l.#level;
    }
    return LOG_LEVELS.WARNING;
  }

  /** Whether a record of this level would be emitted. */
  isEnabledFor(level: LogLevelName | number): boolean {
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

  /** Emit a record at `level` with optional structured fields. */
  log(level: LogLevelName, message: string, fields: Record<string, unknown> = {}): void {
    if (!this.isEnabledFor(level)) return;
    const record: LogRecord = {
      name: this.name,
      level,
      message: redactSecrets(message),
      time: Date.now(),
      fields,
    };
    let handled = false;
    for (let l: Logger | undefined = self(this); l; l = l.propagate ? parentOf(l) : undefined) {
      for (const h of l.#handlers) {
        handled = true;
        h(record);
      }
    }
    if (!handled && levelValue(level) >= LOG_LEVELS.WARNING) lastResort(record);
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
}

const registry = new Map<string, Logger>();

function self(l: Logger): Logger {
  return l;
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
 * import { formatLogRecord } from "@oda-hub/oda-api";
 * formatLogRecord({ name: "oda_api", level: "INFO", message: "hi", time: 0, fields: {} }); // "INFO:oda_api:hi"
 * ```
 */
export function formatLogRecord(record: LogRecord): string {
  return `${record.level}:${record.name}:${record.message}`;
}

const encoder = new TextEncoder();

function writeStderr(line: string): void {
  try {
    Deno.stderr.writeSync(encoder.encode(line + "\n"));
  } catch {
    // stderr closed: nothing sensible to do
  }
}

/** Used when no handler exists anywhere: WARNING and above go to stderr (like Python's last resort). */
function lastResort(record: LogRecord): void {
  writeStderr(record.message);
}

/**
 * A handler that writes `LEVEL:name:message` lines to stderr.
 *
 * @example
 * ```ts
 * import { getLogger, stderrHandler } from "@oda-hub/oda-api";
 * getLogger("oda_api").addHandler(stderrHandler);
 * ```
 */
export const stderrHandler: LogHandler = (record) => writeStderr(formatLogRecord(record));

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
  level: LogLevelName = "INFO",
  handler: LogHandler = stderrHandler,
): () => void {
  const root = getLogger(ROOT);
  const previous = root.getEffectiveLevel();
  root.setLevel(level);
  const detach = root.addHandler(handler);
  return () => {
    detach();
    root.setLevel(previous);
  };
}
