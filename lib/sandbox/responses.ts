/**
 * Response builders with the upstream dispatcher's status codes, content
 * types and body shapes (dispatcher-protocol.md §6).
 *
 * @module
 */
import { pyDumps, type PyFloat, pyFloat } from "./pyjson.ts";

/** Version strings the sandbox reports (those of the recorded dispatcher). */
export const DISPATCHER_VERSION = "1.3.6";
/** oda_api version the sandbox reports. */
export const ODA_API_VERSION = "1.3.5";
/** Flask's label of a bare string body. */
export const TEXT_HTML = "text/html; charset=utf-8";

/** Static server facts every error payload reports. */
export interface ServerInfo {
  /** Names of installed instruments (all, also restricted ones). */
  installedInstruments: string[];
  /** Base URL of the sandbox (`http://127.0.0.1:PORT`). */
  url: string;
  /** `products_url` of the config (what `api_code` names). */
  productsUrl: string;
  /** Maximum refresh interval, seconds. */
  tokenMaxRefreshInterval: number;
}

/** Flask `jsonify`: compact Python JSON plus a trailing newline. */
export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(pyDumps(body, { compact: true }) + "\n", {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}

/** A bare string returned by a Flask view (labelled `text/html; charset=utf-8`). */
export function textResponse(status: number, text: string, headers: Record<string, string> = {}): Response {
  return new Response(text, { status, headers: { "content-type": TEXT_HTML, ...headers } });
}

/** Flask/Werkzeug redirect page. */
export function redirectResponse(location: string): Response {
  const esc = location.replace(/&/g, "&amp;").replace(/"/g, "&quot;");
  const body = `<!doctype html>\n<html lang=en>\n<title>Redirecting...</title>\n<h1>Redirecting...</h1>\n` +
    `<p>You should be redirected automatically to the target URL: <a href="${esc}">${esc}</a>. If not, click the link.\n`;
  return new Response(body, { status: 302, headers: { "content-type": TEXT_HTML, location } });
}

/** Werkzeug's 500 page (unhandled exception). */
export function internalErrorPage(): Response {
  return textResponse(
    500,
    "<!doctype html>\n<html lang=en>\n<title>500 Internal Server Error</title>\n<h1>Internal Server Error</h1>\n" +
      "<p>The server encountered an internal error and was unable to complete your request. Either the server is overloaded or there is an error in the application.</p>\n",
  );
}

/** Werkzeug's 404 page. */
export function notFoundPage(): Response {
  return new Response(
    "<!doctype html>\n<html lang=en>\n<title>404 Not Found</title>\n<h1>Not Found</h1>\n" +
      "<p>The requested URL was not found on the server. If you entered the URL manually please check your spelling and try again.</p>\n",
    { status: 404, headers: { "content-type": TEXT_HTML } },
  );
}

/** Werkzeug's 405 page. */
export function methodNotAllowedPage(allow: string[]): Response {
  return new Response(
    "<!doctype html>\n<html lang=en>\n<title>405 Method Not Allowed</title>\n<h1>Method Not Allowed</h1>\n" +
      "<p>The method is not allowed for the requested URL.</p>\n",
    { status: 405, headers: { "content-type": TEXT_HTML, allow: allow.join(", ") } },
  );
}

/** Exception classes of the APIerror handler and their HTTP status. */
export type ApiErrorClass =
  | "BadRequest"
  | "RequestNotUnderstood"
  | "MissingRequestParameter"
  | "InvalidJobIDProvided"
  | "NoInstrumentSpecified"
  | "InstrumentNotRecognized"
  | "RequestNotAuthorized"
  | "InternalError";

const STATUS: Record<ApiErrorClass, number> = {
  BadRequest: 400,
  RequestNotUnderstood: 400,
  MissingRequestParameter: 400,
  InvalidJobIDProvided: 400,
  NoInstrumentSpecified: 400,
  InstrumentNotRecognized: 400,
  RequestNotAuthorized: 403,
  InternalError: 500,
};

/**
 * Internal to the sandbox (never reaches a caller of `startSandbox`): thrown by request handlers, caught by
 * the router and answered with the upstream error payload (§6.3) and status.
 */
export class ApiError extends Error {
  /** Upstream exception class name. */
  readonly cls: ApiErrorClass;
  /** `debug_message` (only RequestNotAuthorized has one). */
  readonly debugMessage?: string | undefined;
  /** HTTP status. */
  readonly status: number;
  /** Build one. */
  constructor(cls: ApiErrorClass, message: string, debugMessage?: string | undefined, status?: number) {
    super(message);
    this.cls = cls;
    this.debugMessage = debugMessage;
    this.status = status ?? STATUS[cls];
  }
}

/** The sanitised configuration block of error payloads. */
export function configBlock(info: ServerInfo): Record<string, unknown> {
  const u = new URL(info.url);
  return {
    "dispatcher-config": {
      origin: { filepath: "<sandbox>", set_by: "oda-api sandbox (startSandbox)" },
      cfg_dict: {
        dispatcher: {
          dummy_cache: "dummy-cache",
          products_url: info.productsUrl,
          dispatcher_callback_url_base: info.url,
          sentry_environment: "sandbox",
          token_max_refresh_interval: info.tokenMaxRefreshInterval,
          resubmit_timeout: 1800,
          soft_minimum_folder_age_days: 5,
          hard_minimum_folder_age_days: 30,
          bind_options: { bind_host: u.hostname, bind_port: Number(u.port) },
          email_options: {},
          product_gallery_options: {},
        },
      },
    },
    plugins: { sandbox_plugin: { config_file: "<built-in>" } },
  };
}

/** The §6.3 error payload as a response. */
export function apiErrorResponse(err: ApiError, info: ServerInfo): Response {
  const body: Record<string, unknown> = { error_message: err.message };
  if (err.cls === "RequestNotAuthorized") body.debug_message = err.debugMessage ?? "";
  body.error = `${err.cls}():${err.message}`;
  body.cdci_data_analysis_version = DISPATCHER_VERSION;
  body.cdci_data_analysis_version_details = "unknown";
  body.oda_api_version = ODA_API_VERSION;
  body.installed_instruments = info.installedInstruments;
  body.debug_mode = "yes";
  body.config = configBlock(info);
  return jsonResponse(err.status, body);
}

/** `exit_status` of §6.1. */
export interface ExitStatus {
  /** Job status as seen by the query. */
  job_status: string;
  /** 0 ok, 1 error. */
  status: number;
  /** Message. */
  message: string;
  /** Error message. */
  error_message: string;
  /** Debug message. */
  debug_message: string;
  /** Comment (unused arguments, backend comments). */
  comment: string;
  /** Warning. */
  warning: string;
  /** E-mail status, when a notification would be sent. */
  email_status?: string | undefined;
}

/** Build an `exit_status` object. */
export function exitStatus(jobStatus: string, status: number, fields: Partial<ExitStatus> = {}): ExitStatus {
  return {
    job_status: jobStatus,
    status,
    message: fields.message ?? "",
    error_message: fields.error_message ?? "",
    debug_message: fields.debug_message ?? "",
    comment: fields.comment ?? "",
    warning: fields.warning ?? "",
    ...(fields.email_status !== undefined ? { email_status: fields.email_status } : {}),
  };
}

/** Current time as Flask's `time_request` (float epoch seconds). */
export function timeRequest(): PyFloat {
  return pyFloat((performance.timeOrigin + performance.now()) / 1000);
}

/** The normal `/run_analysis` response of §6.1. */
export function runAnalysisBody(o: {
  queryStatus: string;
  products: Record<string, unknown>;
  exit: ExitStatus;
  jobMonitor: Record<string, unknown>;
  sessionId: string;
  time: PyFloat;
  statusCode?: number;
}): Record<string, unknown> {
  const body: Record<string, unknown> = {
    query_status: o.queryStatus,
    products: o.products,
    exit_status: o.exit,
    job_monitor: o.jobMonitor,
    job_status: o.jobMonitor.status,
    session_id: o.sessionId,
  };
  if (o.statusCode !== undefined) body.status_code = o.statusCode;
  body.time_request = o.time;
  return body;
}

const API_CODE_SKIP = new Set(["job_id", "query_status", "session_id", "use_resolver[local]", "use_scws"]);

/**
 * `products.api_code`: oda_api's `set_api_code` snippet. The token is never
 * written: a `token` parameter becomes the placeholder `<your token>`
 * (upstream echoes the JWT; the sandbox deliberately does not).
 */
export function apiCode(params: Record<string, unknown>, productsUrl: string): string {
  const d: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(params)) {
    if (API_CODE_SKIP.has(k) || v === null || v === undefined) continue;
    if (k === "product_type") d.product = v;
    else if (k === "query_type") d.product_type = v;
    else if (k === "token") d.token = "<your token>";
    else d[k] = v;
  }
  const sorted: Record<string, unknown> = {};
  for (const k of Object.keys(d).sort(pyCmp)) sorted[k] = d[k];
  const body = pyDumps(sorted, { indent: 4 }).replace(/false/g, "False").replace(/true/g, "True");
  return `from oda_api.api import DispatcherAPI\ndisp=DispatcherAPI(url='${productsUrl}/dispatch-data', instrument='mock')\n\npar_dict=${body}\n\ndata_collection = disp.get_product(**par_dict)\n`;
}

function pyCmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
