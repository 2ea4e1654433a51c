/**
 * One error family for the whole toolkit.
 *
 * Every error thrown on purpose by this package is an {@linkcode OdaError} (or a
 * subclass) with a literal {@linkcode OdaErrorCode}, a message that says what
 * happened and what to do, and optional context (`url`, `status`, `jobId`,
 * `cause`). Messages never contain a token: anything that looks like a JWT is
 * replaced by `<redacted token>` before the message is stored.
 *
 * @module
 */

/** Literal codes of every error this package raises. */
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
  | "PRODUCT"
  | "UNSAFE_PATH"
  | "FILE_EXISTS"
  | "IO"
  | "INTERNAL";

/** Context carried by an {@linkcode OdaError}. */
export interface OdaErrorOptions {
  /** The URL that was being requested, with any token removed. */
  url?: string;
  /** HTTP status code of the response that caused the error. */
  status?: number;
  /** Job id of the dispatcher job this error belongs to. */
  jobId?: string;
  /** Underlying error. */
  cause?: unknown;
  /** Extra structured details (never contains a token). */
  details?: Record<string, unknown>;
}

const JWT_RE = /\beyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*/g;
const TOKEN_PARAM_RE = /([?&](?:token|access_token)=)[^&#\s"']+/gi;

/**
 * Replace every JWT-looking substring (and any `token=` URL parameter value)
 * by `<redacted token>`.
 *
 * @example
 * ```ts
 * import { redactSecrets } from "@oda-hub/oda-api";
 * redactSecrets("url?token=eyJhbGciOi.eyJzdWIiOi.sig&x=1"); // "url?token=<redacted token>&x=1"
 * ```
 */
export function redactSecrets(text: string): string {
  return text.replace(TOKEN_PARAM_RE, "$1<redacted token>").replace(JWT_RE, "<redacted token>");
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
  readonly url?: string;
  /** HTTP status, if any. */
  readonly status?: number;
  /** Dispatcher job id, if any. */
  readonly jobId?: string;
  /** Extra structured details. */
  readonly details?: Record<string, unknown>;

  /** Create an error with a code, a message and optional context. */
  constructor(code: OdaErrorCode, message: string, options: OdaErrorOptions = {}) {
    super(redactSecrets(message), options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    if (options.url !== undefined) this.url = redactSecrets(options.url);
    if (options.status !== undefined) this.status = options.status;
    if (options.jobId !== undefined) this.jobId = options.jobId;
    if (options.details !== undefined) this.details = options.details;
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
export class TokenError extends OdaError {}

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
export class DispatcherError extends OdaError {}

/**
 * The dispatcher refused the request because of the token or roles (HTTP 403).
 *
 * @example
 * ```ts
 * import { UnauthorizedError } from "@oda-hub/oda-api";
 * const e = new UnauthorizedError("missing roles: integral-private", { status: 403 });
 * console.log(e.code); // "UNAUTHORIZED"
 * ```
 */
export class UnauthorizedError extends DispatcherError {
  /** Create an unauthorized error. */
  constructor(message: string, options: OdaErrorOptions = {}) {
    super("UNAUTHORIZED", message, options);
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
    super("JOB_FAILED", message, options);
  }
}

/**
 * Bytes that could not be decoded (pickle, FITS, ECSV, JSON, product layout).
 *
 * @example
 * ```ts
 * import { DecodeError } from "@oda-hub/oda-api";
 * const e = new DecodeError("FITS", "truncated header at byte 2880");
 * console.log(e.code); // "FITS"
 * ```
 */
export class DecodeError extends OdaError {}

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
export class FileError extends OdaError {}

/**
 * Turn anything thrown into a message line without tokens.
 *
 * @example
 * ```ts
 * import { errorMessage } from "@oda-hub/oda-api";
 * errorMessage(new Error("boom")); // "boom"
 * ```
 */
export function errorMessage(e: unknown): string {
  if (e instanceof Error) return redactSecrets(e.message);
  return redactSecrets(String(e));
}
