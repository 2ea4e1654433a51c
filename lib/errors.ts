/**
 * One error family for the whole toolkit.
 *
 * Every error thrown on purpose by this package is an {@linkcode OdaError} (or a
 * subclass) with a literal {@linkcode OdaErrorCode}, a message that says what
 * happened and what to do, and optional context (`url`, `status`, `jobId`,
 * `cause`). Messages never contain a token: anything that looks like a JWT is
 * replaced by `<redacted token>` before the message is stored.
 *
 * Each code belongs to exactly one class (`ERROR_CODE_OWNER`): argument, URL,
 * timeout, abort and runtime problems are plain `OdaError`s; `TOKEN_*` codes
 * are `TokenError`s; HTTP and job problems `DispatcherError`s (403 →
 * `UnauthorizedError`, failed jobs → `JobFailedError`); bytes and product
 * layouts that cannot be decoded `DecodeError`s; file-system problems
 * `FileError`s. The constructors only accept the codes their class owns.
 *
 * Internal errors that never reach a caller: the sandbox's `ApiError`,
 * `UnhandledCrash` and `PayloadTooLarge` (lib/sandbox/) are caught by its
 * router and answered as HTTP errors the way the upstream dispatcher answers;
 * `LazyFallback` (lib/codecs/pickle/) makes the decoder take its ordinary path;
 * the HTTP client's `Transient` marks a retryable attempt.
 *
 * @module
 */

/**
 * Literal codes of every error this package raises.
 *
 * @example
 * ```ts
 * import { OdaError, type OdaErrorCode } from "@oda-hub/oda-api";
 * import assert from "node:assert/strict";
 * const code: OdaErrorCode = "TIMEOUT";
 * const e = new OdaError("TIMEOUT", "no answer after 300 s: retry later");
 * assert.equal(e.code === code, true);
 * ```
 */
export type OdaErrorCode =
  | "TOKEN_MALFORMED"
  | "TOKEN_EXPIRED"
  | "TOKEN_NOT_FOUND"
  | "TOKEN_REWRITE_REFUSED"
  | "TOKEN_INSECURE_TRANSPORT"
  | "INVALID_URL"
  | "INVALID_ARGUMENT"
  | "UNKNOWN_PARAMETER"
  | "REQUEST_NOT_UNDERSTOOD"
  | "UNAUTHORIZED"
  | "DISPATCHER_ERROR"
  | "DISPATCHER_UNAVAILABLE"
  | "UNEXPECTED_STATUS"
  | "URL_REDIRECTED"
  | "TOO_MANY_REDIRECTS"
  | "RESPONSE_TOO_LARGE"
  | "MALFORMED_RESPONSE"
  | "JOB_FAILED"
  | "JOB_NOT_FOUND"
  | "JOB_MISMATCH"
  | "TIMEOUT"
  | "ABORTED"
  | "NETWORK"
  | "PICKLE"
  | "FITS"
  | "ECSV"
  | "JSON"
  | "DECODE_LIMIT"
  | "API_CODE"
  | "PRODUCT"
  | "UNSAFE_PATH"
  | "FILE_EXISTS"
  | "IO"
  | "UNSUPPORTED_RUNTIME"
  | "INTERNAL";

/**
 * Internal: the class that owns each code. An error with a given code is always an instance of exactly that
 * class (a pickle problem is a `DecodeError("PICKLE")`, never a bare `OdaError("PICKLE")`); the constructors'
 * parameter types enforce it and tests/errors_test.ts checks every `new …Error("CODE"` in lib/.
 */
export const ERROR_CODE_OWNER = {
  INVALID_URL: "OdaError",
  INVALID_ARGUMENT: "OdaError",
  UNKNOWN_PARAMETER: "OdaError",
  TIMEOUT: "OdaError",
  ABORTED: "OdaError",
  UNSUPPORTED_RUNTIME: "OdaError",
  INTERNAL: "OdaError",
  TOKEN_MALFORMED: "TokenError",
  TOKEN_EXPIRED: "TokenError",
  TOKEN_NOT_FOUND: "TokenError",
  TOKEN_REWRITE_REFUSED: "TokenError",
  TOKEN_INSECURE_TRANSPORT: "TokenError",
  REQUEST_NOT_UNDERSTOOD: "DispatcherError",
  DISPATCHER_ERROR: "DispatcherError",
  DISPATCHER_UNAVAILABLE: "DispatcherError",
  UNEXPECTED_STATUS: "DispatcherError",
  URL_REDIRECTED: "DispatcherError",
  TOO_MANY_REDIRECTS: "DispatcherError",
  RESPONSE_TOO_LARGE: "DispatcherError",
  JOB_NOT_FOUND: "DispatcherError",
  JOB_MISMATCH: "DispatcherError",
  NETWORK: "DispatcherError",
  UNAUTHORIZED: "UnauthorizedError",
  JOB_FAILED: "JobFailedError",
  PICKLE: "DecodeError",
  FITS: "DecodeError",
  ECSV: "DecodeError",
  JSON: "DecodeError",
  DECODE_LIMIT: "DecodeError",
  API_CODE: "DecodeError",
  PRODUCT: "DecodeError",
  MALFORMED_RESPONSE: "DecodeError",
  UNSAFE_PATH: "FileError",
  FILE_EXISTS: "FileError",
  IO: "FileError",
} as const satisfies Record<OdaErrorCode, string>;

type OwnedBy<C extends string> = {
  [K in OdaErrorCode]: (typeof ERROR_CODE_OWNER)[K] extends C ? K : never;
}[OdaErrorCode];
// compile-time checks: each constructor accepts exactly the codes its class owns
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const _ownership: [
  Same<ConstructorParameters<typeof OdaError>[0], OwnedBy<"OdaError">>,
  Same<ConstructorParameters<typeof TokenError>[0], OwnedBy<"TokenError">>,
  Same<ConstructorParameters<typeof DispatcherError>[0], OwnedBy<"DispatcherError">>,
  Same<ConstructorParameters<typeof DecodeError>[0], OwnedBy<"DecodeError">>,
  Same<ConstructorParameters<typeof FileError>[0], OwnedBy<"FileError">>,
] = [true, true, true, true, true];
void _ownership;

/**
 * Context carried by an {@linkcode OdaError}.
 *
 * @example
 * ```ts
 * import { DispatcherError } from "@oda-hub/oda-api";
 * import { type OdaErrorOptions } from "./errors.ts";
 * const ctx: OdaErrorOptions = { url: "http://127.0.0.1:8000/run_analysis", status: 502 };
 * const e = new DispatcherError("UNEXPECTED_STATUS", "bad gateway", ctx);
 * ```
 */
export interface OdaErrorOptions {
  /** The URL that was being requested, with any token removed. */
  url?: string | undefined;
  /** HTTP status code of the response that caused the error. */
  status?: number | undefined;
  /** Job id of the dispatcher job this error belongs to. */
  jobId?: string | undefined;
  /** Underlying error. */
  cause?: unknown;
  /** Extra structured details (never contains a token). */
  details?: Record<string, unknown>;
}

/**
 * What stands in for a token wherever one is redacted (messages, echoed answers, saved state).
 *
 * @example
 * ```ts
 * import { REDACTED_TOKEN, redactSecrets } from "./errors.ts";
 * import assert from "node:assert/strict";
 * assert.equal(redactSecrets("?token=abc123"), `?token=${REDACTED_TOKEN}`);
 * ```
 */
export const REDACTED_TOKEN = "<redacted token>";
// header.payload.signature, header starting with `{"` base64url-encoded (eyJ); percent-encoded dots too
const JWT_RE = /\beyJ[A-Za-z0-9_-]{2,}(?:\.|%2E)[A-Za-z0-9_-]{2,}(?:\.|%2E)[A-Za-z0-9_-]*/gi;
// token=... in URLs, form bodies and command lines
const TOKEN_PARAM_RE =
  /((?:^|[?&;\s]|%3F|%26)(?:token|access_token|oda_token)(?:=|%3D))(?!<redacted)[^&#\s"'()<>[\]{}]+/gi;
// "token": "..." in JSON, Python reprs and Deno.inspect output (`{ token: "..." }`)
const TOKEN_JSON_RE =
  /((["']?)\b(?:token|access_token|oda_token)\2\s*:\s*)(["'])(?!<redacted)(?:(?!\3)[^\\]|\\.)+\3/gi;
// Authorization: Bearer ...
const BEARER_RE = /(\bBearer\s+)(?!<redacted)[A-Za-z0-9._~+\/-]+=*/g;

/**
 * Replace every JWT-looking substring, any `token=` parameter value, any
 * `"token": "..."` JSON value and any `Bearer ...` credential by
 * `<redacted token>`. Idempotent.
 *
 * @example
 * ```ts
 * import { redactSecrets } from "./errors.ts";
 * import assert from "node:assert/strict";
 * assert.equal(redactSecrets("url?token=eyJhbGciOi.eyJzdWIiOi.sig&x=1"), "url?token=<redacted token>&x=1");
 * ```
 */
export function redactSecrets(text: string): string {
  return String(text)
    .replace(TOKEN_PARAM_RE, `$1${REDACTED_TOKEN}`)
    .replace(TOKEN_JSON_RE, `$1$3${REDACTED_TOKEN}$3`)
    .replace(BEARER_RE, `$1${REDACTED_TOKEN}`)
    .replace(JWT_RE, REDACTED_TOKEN);
}

/**
 * A copy of a thrown value that is safe to keep as an error's `cause`: Deno's
 * fetch errors name the full URL (query string and token included) and JSON
 * syntax errors quote the body (which may echo the token), and `Deno.inspect`
 * of the wrapping error prints its cause. Errors are copied with redacted
 * message and stack (their own causes too); an {@linkcode OdaError} is already
 * safe and kept as is. `also` is applied after the generic redaction (the client
 * passes the request's token echo redactor: a redirect target may hold it encoded).
 *
 * @example
 * ```ts
 * import { redactCause } from "./errors.ts";
 * import assert from "node:assert/strict";
 * const cause = redactCause(new TypeError("error sending request for url (https://x/run_analysis?token=abc)"));
 * assert.equal((cause as Error).message, "error sending request for url (https://x/run_analysis?token=<redacted token>)");
 * ```
 */
export function redactCause(
  cause: unknown,
  depth = 0,
  also: (text: string) => string = (text) => text,
): unknown {
  const redact = (text: string) => also(redactSecrets(text));
  if (typeof cause === "string") return redact(cause);
  if (!(cause instanceof Error)) return redactValue(cause);
  if (cause instanceof OdaError) return cause;
  const copy = new Error(
    redact(cause.message),
    cause.cause === undefined || depth > 4 ? undefined : { cause: redactCause(cause.cause, depth + 1, also) },
  );
  // Same class (still `instanceof TypeError`, `DOMException`...); own data properties shadow accessor-only
  // ones such as DOMException's `name`.
  Object.setPrototypeOf(copy, Object.getPrototypeOf(cause));
  const own = (key: string, value: unknown) =>
    Object.defineProperty(copy, key, { value, writable: true, configurable: true, enumerable: false });
  own("name", cause.name);
  own("stack", cause.stack === undefined ? `${cause.name}: ${copy.message}` : redact(cause.stack));
  return copy;
}

/**
 * Deep copy of a value with {@linkcode redactSecrets} applied to every string
 * (object keys kept; `Error`s become `{ name, message, code? }`; depth-limited,
 * cycles cut). Used for structured log fields and error details.
 *
 * @example
 * ```ts
 * import { redactValue } from "./errors.ts";
 * redactValue({ url: "https://h/x?token=abc", n: 1 }); // { url: "https://h/x?token=<redacted token>", n: 1 }
 * ```
 */
export function redactValue<T>(value: T): T {
  return redactInner(value, 0, new WeakSet()) as T;
}

function redactInner(value: unknown, depth: number, seen: WeakSet<object>): unknown {
  if (typeof value === "string") return redactSecrets(value);
  if (value === null || typeof value !== "object") return value;
  if (seen.has(value) || depth > 8) return "[…]";
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    return {
      name: value.name,
      message: redactSecrets(value.message),
      ...(code !== undefined ? { code } : {}),
    };
  }
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer || value instanceof Date) return value;
  seen.add(value);
  try {
    if (Array.isArray(value)) return value.map((v) => redactInner(v, depth + 1, seen));
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) return value; // class instances: left alone
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = redactInner(v, depth + 1, seen);
    return out;
  } finally {
    seen.delete(value);
  }
}

/**
 * Base class of every error raised on purpose by this package.
 *
 * @example
 * ```ts
 * import { OdaError } from "@oda-hub/oda-api";
 * try {
 *   throw new OdaError("INVALID_ARGUMENT", "RA must be a number");
 * } catch (e) {
 *   if (e instanceof OdaError && e.code === "INVALID_ARGUMENT") console.log(e.message);
 * }
 * ```
 */
export class OdaError extends Error {
  /** Machine-readable code. */
  readonly code: OdaErrorCode;
  /** URL involved, if any (token removed). */
  readonly url?: string | undefined;
  /** HTTP status, if any. */
  readonly status?: number | undefined;
  /** Dispatcher job id, if any. */
  readonly jobId?: string | undefined;
  /** Extra structured details. */
  readonly details?: Record<string, unknown>;

  /**
   * Create an error with a code this class owns (argument, URL, timeout, abort, runtime and internal
   * problems; the other codes belong to the subclasses), a message and optional context.
   */
  constructor(
    code:
      | "INVALID_URL"
      | "INVALID_ARGUMENT"
      | "UNKNOWN_PARAMETER"
      | "TIMEOUT"
      | "ABORTED"
      | "UNSUPPORTED_RUNTIME"
      | "INTERNAL",
    message: string,
    options: OdaErrorOptions = {},
  ) {
    super(
      redactSecrets(message),
      options.cause === undefined ? undefined : { cause: redactCause(options.cause) },
    );
    this.name = new.target.name;
    this.code = code as OdaErrorCode;
    if (options.url !== undefined) this.url = redactSecrets(options.url);
    if (options.status !== undefined) this.status = options.status;
    if (options.jobId !== undefined) this.jobId = options.jobId;
    if (options.details !== undefined) this.details = redactValue(options.details);
  }

  /** A JSON view without the stack, safe to log. */
  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      ...(this.url !== undefined ? { url: this.url } : {}),
      ...(this.status !== undefined ? { status: this.status } : {}),
      ...(this.jobId !== undefined ? { jobId: this.jobId } : {}),
      ...(this.details !== undefined ? { details: this.details } : {}),
    };
  }
}

/**
 * Token problems: malformed, expired, missing, or a refused rewrite.
 *
 * @example
 * ```ts
 * import { TokenError } from "@oda-hub/oda-api";
 * const e = new TokenError("TOKEN_EXPIRED", "token expired 2.0 h ago: refresh it or get a new one");
 * console.log(e.code);
 * ```
 */
export class TokenError extends OdaError {
  /** Create a token error. */
  constructor(
    code:
      | "TOKEN_MALFORMED"
      | "TOKEN_EXPIRED"
      | "TOKEN_NOT_FOUND"
      | "TOKEN_REWRITE_REFUSED"
      | "TOKEN_INSECURE_TRANSPORT",
    message: string,
    options: OdaErrorOptions = {},
  ) {
    super(code as never, message, options);
  }
}

/**
 * A request the dispatcher answered with an error, or could not be completed.
 *
 * @example
 * ```ts
 * import { DispatcherError } from "@oda-hub/oda-api";
 * const e = new DispatcherError("DISPATCHER_ERROR", "server error", { status: 500 });
 * console.log(e.status);
 * ```
 */
export class DispatcherError extends OdaError {
  /** Create a dispatcher error. */
  constructor(
    code:
      | "REQUEST_NOT_UNDERSTOOD"
      | "DISPATCHER_ERROR"
      | "DISPATCHER_UNAVAILABLE"
      | "UNEXPECTED_STATUS"
      | "URL_REDIRECTED"
      | "TOO_MANY_REDIRECTS"
      | "RESPONSE_TOO_LARGE"
      | "JOB_NOT_FOUND"
      | "JOB_MISMATCH"
      | "NETWORK",
    message: string,
    options: OdaErrorOptions = {},
  ) {
    super(code as never, message, options);
  }
}

/**
 * The dispatcher refused the request because of the token or roles (HTTP 403).
 *
 * @example
 * ```ts
 * import { UnauthorizedError } from "@oda-hub/oda-api";
 * import assert from "node:assert/strict";
 * const e = new UnauthorizedError("missing roles: integral-private", { status: 403 });
 * assert.equal(e.code, "UNAUTHORIZED");
 * ```
 */
export class UnauthorizedError extends DispatcherError {
  /** Create an unauthorized error. */
  constructor(message: string, options: OdaErrorOptions = {}) {
    super("UNAUTHORIZED" as never, message, options);
  }
}

/**
 * A dispatcher job ended in the `failed` state.
 *
 * @example
 * ```ts
 * import { JobFailedError } from "@oda-hub/oda-api";
 * const e = new JobFailedError("job failed: backend error", { jobId: "abc" });
 * console.log(e.jobId);
 * ```
 */
export class JobFailedError extends DispatcherError {
  /** Create a job-failed error. */
  constructor(message: string, options: OdaErrorOptions = {}) {
    super("JOB_FAILED" as never, message, options);
  }
}

/**
 * Bytes that could not be decoded (pickle, FITS, ECSV, JSON, product layout).
 *
 * @example
 * ```ts
 * import { DecodeError } from "@oda-hub/oda-api";
 * import assert from "node:assert/strict";
 * const e = new DecodeError("FITS", "truncated header at byte 2880");
 * assert.equal(e.code, "FITS");
 * ```
 */
export class DecodeError extends OdaError {
  /** Create a decode error. */
  constructor(
    code:
      | "PICKLE"
      | "FITS"
      | "ECSV"
      | "JSON"
      | "DECODE_LIMIT"
      | "API_CODE"
      | "PRODUCT"
      | "MALFORMED_RESPONSE",
    message: string,
    options: OdaErrorOptions = {},
  ) {
    super(code as never, message, options);
  }
}

/**
 * Local file-system problems: unsafe names, existing files, write failures.
 *
 * @example
 * ```ts
 * import { FileError } from "@oda-hub/oda-api";
 * const e = new FileError("UNSAFE_PATH", "product name '../x' escapes the output directory");
 * console.log(e.code);
 * ```
 */
export class FileError extends OdaError {
  /** Create a file error. */
  constructor(code: "UNSAFE_PATH" | "FILE_EXISTS" | "IO", message: string, options: OdaErrorOptions = {}) {
    super(code as never, message, options);
  }
}

/**
 * Turn anything thrown into a message line without tokens.
 *
 * @example
 * ```ts
 * import { errorMessage } from "./errors.ts";
 * import assert from "node:assert/strict";
 * assert.equal(errorMessage(new Error("boom")), "boom");
 * ```
 */
export function errorMessage(e: unknown): string {
  if (e instanceof Error) return redactSecrets(e.message);
  try {
    return redactSecrets(String(e));
  } catch {
    return "unprintable error";
  }
}
