/**
 * The `oda` command line: queries, descriptions, tokens, jobs and the sandbox
 * from a terminal or a shell script.
 *
 * Arguments are parsed with npm:commander (well kept, typed, generates
 * `--help` for every command). Every command returns an exit code from
 * {@linkcode EXIT}; errors are printed as one line (`error: …`), with details
 * when `-v` is given. No token is ever printed.
 *
 * Every command that talks to a dispatcher takes `--timeout <seconds>` (one
 * total deadline for the whole command, exit 5 when it passes) and stops at
 * Ctrl-C through an `AbortSignal` (exit 130, `error: interrupted (Ctrl-C)`):
 * products are saved whole or not at all. `demo` stops at Ctrl-C the same way
 * (its embedded sandbox closed, no report written).
 *
 * Size: one commander program; every subcommand is a short adapter over library calls, kept together so
 * options, `--help` and exit codes stay consistent.
 *
 * @module
 */
import { Command, CommanderError, InvalidArgumentError, Option } from "npm:commander@^14.0.0";
import {
  DispatcherAPI,
  type GetProductOptions,
  PRODUCTION_URL,
  resolveDispatcherUrl,
} from "../client/dispatcher.ts";
import { type ApiCode, parseApiCode, renderApiCode } from "../codecs/api_code.ts";
import { describeDispatcher } from "../client/catalogue.ts";
import { generateProductTypes } from "../client/types_generator.ts";
import type { SavedJob } from "../client/job.ts";
import { getProgressReporterFactory, setProgressReporterFactory } from "../client/events.ts";
import { createProgressReporter } from "../display/progress.ts";
import { errorMessage, OdaError, redactSecrets } from "../errors.ts";
import { formatLogRecord, getLogger, type LogLevelName } from "../log.ts";
import { decodeOdaToken, isTokenExpired, tokenExpiresIn, tokenRoles } from "../token/decode.ts";
import { discoverTokenAndMethod } from "../token/discover.ts";
import { formatToken, formatTokenExpiry, formatTokenReport } from "../token/format.ts";
import { tokenLocationName } from "../token/location.ts";
import type { TokenWriteLocation } from "../token/write.ts";
import type { DataCollection } from "../products/collection.ts";
import { writeAtomic } from "../data/atomic_write.ts";
import { type CliIO, EXIT, processIO, sigintSignal } from "./io.ts";
import { SANDBOX_BOUND_FLAGS } from "../sandbox/flags.ts";
import type { SandboxOptions } from "../sandbox/server.ts";
// product displays and the live progress reporter (formerly reached through the root mod.ts)
import "../display/register.ts";

const cliLog = getLogger("oda_api.cli");

/** What one run of a command shares with its action: the signal that cancels it (Ctrl-C, `CliIO.signal`). */
interface RunContext {
  signal?: AbortSignal | undefined;
}

/** `timeout` (ms) and `signal` of a dispatcher command, as the client's `RequestOptions` take them. */
function bounds(o: { timeout?: number }, run: RunContext): { timeout?: number; signal?: AbortSignal } {
  return { ...timeoutMs(o), ...(run.signal ? { signal: run.signal } : {}) };
}

/** `--timeout` (seconds) as the client's `timeout` (ms); nothing without the flag. */
function timeoutMs(o: { timeout?: number }): { timeout?: number } {
  return o.timeout !== undefined ? { timeout: o.timeout * 1000 } : {};
}

/** `--token` and `--timeout` as options of a client (constructor, `fromApiCode`, `resume`). */
function clientOptions(g: GlobalOptions, o: { timeout?: number }): { token?: string; timeout?: number } {
  return { ...(g.token !== undefined ? { token: g.token } : {}), ...timeoutMs(o) };
}

/** Global options shared by every command. */
interface GlobalOptions {
  url?: string | undefined;
  token?: string | undefined;
  verbose?: number;
  quiet?: boolean;
}

/**
 * Map an error to the exit code scripts rely on (see {@linkcode EXIT}).
 *
 * @example
 * ```ts
 * import { exitCodeFor } from "@oda-hub/oda-api/cli";
 * import { JobFailedError } from "@oda-hub/oda-api";
 * import assert from "node:assert/strict";
 * assert.equal(exitCodeFor(new JobFailedError("failed")), 3);
 * ```
 */
export function exitCodeFor(e: unknown): number {
  if (e instanceof CommanderError) return e.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
  if (!(e instanceof OdaError)) return EXIT.ERROR;
  switch (e.code) {
    case "INVALID_ARGUMENT":
    case "INVALID_URL":
    case "UNKNOWN_PARAMETER":
    case "API_CODE":
      return EXIT.USAGE;
    case "JOB_FAILED":
      return EXIT.JOB_FAILED;
    case "UNAUTHORIZED":
    case "TOKEN_EXPIRED":
    case "TOKEN_MALFORMED":
    case "TOKEN_NOT_FOUND":
    case "TOKEN_INSECURE_TRANSPORT":
      return EXIT.UNAUTHORIZED;
    case "NETWORK":
    case "TIMEOUT":
    case "ABORTED":
    case "DISPATCHER_UNAVAILABLE":
      return EXIT.UNAVAILABLE;
    default:
      return EXIT.ERROR;
  }
}

/**
 * Parse repeated `-a key=value` arguments into science parameters. One rule
 * for a repeated key: a list parameter (a name ending in `_list`, such as
 * `scw_list`) collects every value in order; any other parameter takes the
 * last value, and `onOverride` (if given) is told which key was overridden.
 *
 * @example
 * ```ts
 * import { parseKeyValues } from "@oda-hub/oda-api/cli";
 * parseKeyValues(["RA=83.63", "scw_list=A", "scw_list=B", "RA=84"]); // { RA: "84", scw_list: ["A", "B"] }
 * ```
 */
export function parseKeyValues(
  pairs: readonly string[],
  onOverride?: (key: string, dropped: string, kept: string) => void,
): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = Object.create(null);
  for (const p of pairs) {
    const i = p.indexOf("=");
    if (i <= 0) {
      throw new OdaError(
        "INVALID_ARGUMENT",
        `argument '${p}' is not of the form key=value (e.g. -a RA=83.63)`,
      );
    }
    const key = p.slice(0, i).trim();
    const value = p.slice(i + 1);
    const prev = out[key];
    if (prev === undefined) {
      out[key] = key.endsWith("_list") ? [value] : value;
    } else if (Array.isArray(prev)) {
      prev.push(value);
    } else {
      onOverride?.(key, prev, value);
      out[key] = value;
    }
  }
  // a list parameter given once stays a plain value (the server splits comma-separated lists itself)
  for (const [k, v] of Object.entries(out)) if (Array.isArray(v) && v.length === 1) out[k] = v[0];
  return out;
}

/** One line: an error message with its line breaks folded (scripts read `error: …` as one line). */
function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, " ").trim();
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** Commander parser of a numeric option: a usage error (exit 2) unless a finite number. */
function numberArg(value: string): number {
  const x = Number(value);
  if (value.trim() === "" || !Number.isFinite(x)) {
    throw new InvalidArgumentError(`'${value}' is not a number.`);
  }
  return x;
}

/** Commander's option key of a flag name (`max-job-bytes` → `maxJobBytes`). */
function camel(flag: string): string {
  return flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** The longest `--timeout` a timer can hold: 2³¹ − 1 ms, in whole seconds (24.8 days). */
const MAX_TIMEOUT_SECONDS = Math.floor((2 ** 31 - 1) / 1000);

/** Commander parser of `--timeout`: a usage error (exit 2) unless a positive, finite number of seconds. */
function secondsArg(value: string): number {
  const x = Number(value);
  if (value.trim() === "" || !Number.isFinite(x) || x <= 0 || x > MAX_TIMEOUT_SECONDS) {
    throw new InvalidArgumentError(
      `'${value}' is not a positive number of seconds (at most ${MAX_TIMEOUT_SECONDS}).`,
    );
  }
  return x;
}

/** `--timeout <seconds>` of every command that talks to a dispatcher. */
function timeoutOption(): Option {
  return new Option(
    "--timeout <seconds>",
    "give up after this many seconds (one deadline for the whole command: retries, waiting, downloads; exit 5)",
  ).argParser(secondsArg);
}

function increase(_: string, previous = 0): number {
  return previous + 1;
}

/**
 * Summarise a collection as JSON-friendly data (names, kinds, meta data,
 * units): what `oda get --json` prints.
 *
 * @example
 * ```ts ignore
 * import { collectionSummary } from "@oda-hub/oda-api/cli";
 * const data = await disp.getProduct({ instrument: "isgri", product: "isgri_image" });
 * console.log(collectionSummary(data).map((p) => p.prod_name));
 * ```
 */
export function collectionSummary(data: DataCollection): Record<string, unknown>[] {
  return data._p_list.map((p, i) => {
    const product = p as unknown as Record<string, unknown>;
    const units = Array.isArray(product.data_unit)
      ? (product.data_unit as Record<string, unknown>[]).map((u) => {
        const d = u.data as Record<string, unknown> | null | undefined;
        return {
          name: u.name,
          hdu_type: u.hdu_type,
          ...(d && Array.isArray(d.shape) ? { shape: d.shape, dtype: d.dtype } : {}),
          ...(d && typeof d.length === "number" && Array.isArray(d.columns)
            ? { rows: d.length, columns: (d.columns as { name: string }[]).map((c) => c.name) }
            : {}),
        };
      })
      : undefined;
    return {
      ID: i,
      prod_name: data._n_list[i],
      kind: (p as object)?.constructor?.name ?? typeof p,
      meta_data: product.meta_data ?? product.metadata ?? {},
      ...(units ? { data_unit: units } : {}),
    };
  });
}

function setupLogging(io: CliIO, g: GlobalOptions): () => void {
  const root = getLogger("oda_api");
  const level: LogLevelName = g.quiet
    ? "ERROR"
    : (g.verbose ?? 0) >= 2
    ? "DEBUG"
    : g.verbose
    ? "INFO"
    : "WARNING";
  const previous = root.getEffectiveLevel();
  root.setLevel(level);
  // the notebook advice ("oda_api will not output much...") is not for a command line
  const advice = getLogger("oda_api.advice");
  const previousAdvice = advice.getLevel();
  advice.setLevel("ERROR");
  const detach = root.addHandler((r) => io.err(formatLogRecord(r) + "\n"));
  // a failure is reported once, by the one `error:` line, not also by the progress display's summary
  const factory = getProgressReporterFactory();
  if (factory) {
    setProgressReporterFactory((job) => {
      if (job.silent) return undefined;
      let failed = false;
      const inner = createProgressReporter(job, { write: (t) => void (failed || io.err(t)) });
      return {
        onEvent: (e) => {
          if (e.type === "failed" && e.code !== "ABORTED" && e.code !== "TIMEOUT") failed = true;
          inner.onEvent(e);
        },
        close: () => {
          inner.close();
          if (failed && io.isTerminal) io.err("\r\x1b[2K"); // clear a half-drawn progress line
        },
      };
    });
  }
  if (g.token !== undefined) {
    cliLog.warning(
      "--token puts your token in the process list (other users of this machine can read it with ps): " +
        "prefer the ODA_TOKEN variable or a ~/.oda-token file (mode 0600)",
    );
  }
  return () => {
    detach();
    root.setLevel(previous);
    advice.setLevel(previousAdvice);
    if (factory) setProgressReporterFactory(factory);
  };
}

function makeApi(g: GlobalOptions, io: CliIO, o: { timeout?: number } = {}): DispatcherAPI {
  const url = g.url ?? io.env("ODA_DISPATCHER_URL") ?? PRODUCTION_URL;
  return new DispatcherAPI({ url, ...clientOptions(g, o) });
}

/** The client for pasted API code: --url/ODA_DISPATCHER_URL, else the code's URL; --token, else the code's. */
function apiFromCode(g: GlobalOptions, io: CliIO, code: ApiCode, o: { timeout?: number }): DispatcherAPI {
  const url = g.url ?? io.env("ODA_DISPATCHER_URL");
  return DispatcherAPI.fromApiCode(code, {
    ...(url !== undefined ? { url } : {}),
    ...clientOptions(g, o),
  });
}

/** Text of a file argument, or of stdin for `-`. */
async function readText(path: string, what: string): Promise<string> {
  if (path === "-") return await new Response(Deno.stdin.readable).text();
  try {
    return await Deno.readTextFile(path);
  } catch (e) {
    throw new OdaError("INVALID_ARGUMENT", `${what} file '${path}' is not readable`, { cause: e });
  }
}

function writeMethods(where: string | undefined): TokenWriteLocation[] {
  if (!where) return ["FILE_CUR_DIR"];
  return where.split(",").map((w) => {
    const m = w.trim().toUpperCase().replace(/-/g, "_");
    if (m !== "ODA_ENV_VAR" && m !== "FILE_CUR_DIR" && m !== "FILE_HOME") {
      throw new OdaError("INVALID_ARGUMENT", `unknown write location '${w}' (use FILE_CUR_DIR, FILE_HOME)`);
    }
    return m;
  });
}

function printJson(io: CliIO, value: unknown): void {
  io.out(redactSecrets(JSON.stringify(value, null, 2)) + "\n");
}

async function readHandle(handle: string): Promise<SavedJob> {
  let text = handle;
  if (handle === "-") {
    text = await new Response(Deno.stdin.readable).text();
  } else if (!handle.trimStart().startsWith("{")) {
    try {
      text = await Deno.readTextFile(handle);
    } catch (e) {
      throw new OdaError("INVALID_ARGUMENT", `job handle '${handle}' is neither JSON nor a readable file`, {
        cause: e,
      });
    }
  }
  try {
    return JSON.parse(text) as SavedJob;
  } catch (e) {
    throw new OdaError(
      "INVALID_ARGUMENT",
      "the job handle is not valid JSON (pass what `get --no-wait` printed)",
      {
        cause: e,
      },
    );
  }
}

async function finishCollection(
  io: CliIO,
  data: DataCollection,
  opts: { out?: string; json?: boolean; overwrite?: boolean },
  run: RunContext,
): Promise<void> {
  let files: string[] = [];
  if (opts.out) {
    // interrupted before saving: not even the directory; while saving: every file whole or absent
    if (run.signal?.aborted) throw run.signal.reason;
    await Deno.mkdir(opts.out, { recursive: true });
    files = await data.saveAllData({
      dir: opts.out,
      overwrite: opts.overwrite ?? true,
      ...(run.signal ? { signal: run.signal } : {}),
    });
  }
  if (opts.json) {
    printJson(io, { products: collectionSummary(data), files });
    return;
  }
  io.out(data.showText());
  for (const f of files) io.out(`saved ${f}\n`);
}

/**
 * Build the commander program; actions report their exit code through `setCode` and read their signal from
 * `run`. Commands that talk to a dispatcher are added to `talks` (they get `--timeout` and Ctrl-C handling).
 */
function buildProgram(
  io: CliIO,
  setCode: (c: number) => void,
  run: RunContext,
  talks: Set<Command>,
): Command {
  const program = new Command("oda")
    .description("MMODA (ODA) dispatcher client: products, jobs, tokens and an offline sandbox")
    .addOption(
      new Option("--url <url>", "dispatcher URL or alias (production, staging)").env("ODA_DISPATCHER_URL"),
    )
    .option(
      "--token <token>",
      "token to use; visible in the process list, prefer ODA_TOKEN or ~/.oda-token (the default search)",
    )
    .option("-v, --verbose", "more output (repeat for debug)", increase, 0)
    .option("-q, --quiet", "only errors")
    .showHelpAfterError("(add --help for usage)")
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s), outputError: () => {} });

  const g = (): GlobalOptions => program.opts<GlobalOptions>();
  /** A subcommand that talks to a dispatcher: `--timeout`, and Ctrl-C cancels it. */
  const dispatcherCommand = (parent: Command, name: string): Command => {
    const c = parent.command(name).addOption(timeoutOption());
    talks.add(c);
    return c;
  };

  dispatcherCommand(program, "get")
    .description("run a query, show progress, save and print the products")
    .option("-i, --instrument <name>", "instrument (isgri, jemx, spi_acs...)")
    .option("-p, --product <name>", "product (isgri_image, spi_acs_lc...)")
    .option("-a, --arg <key=value>", "science parameter (repeatable)", collect, [])
    .option("--api-code <file>", "run the API code of MMODA's web page (a Python file, or - for stdin)")
    .option("--print-api-code [language]", "print the query as API code (python, typescript) and stop")
    .addOption(new Option("--type <type>", "query type").choices(["Real", "Dummy"]))
    .option("-o, --out <dir>", "save every product into this directory")
    .option("--json", "print the result as JSON")
    .option("--no-wait", "submit and print a job handle for `jobs resume`")
    .action(async (o) => {
      const code = o.apiCode === undefined ? undefined : parseApiCode(await readText(o.apiCode, "API code"));
      const instrument = o.instrument ?? code?.params.instrument;
      const product = o.product ?? code?.params.product;
      if (!instrument || !product) {
        throw new OdaError("INVALID_ARGUMENT", "get needs --instrument and --product (or --api-code FILE)");
      }
      const common: GetProductOptions = {
        ...code?.params,
        instrument,
        product,
        product_type: o.type ?? code?.params.product_type ?? "Real",
        ...parseKeyValues(
          o.arg,
          (key, dropped, kept) =>
            cliLog.warning(`-a ${key} given more than once: using the last value (${kept}), not ${dropped}`),
        ),
      };
      if (o.printApiCode !== undefined) {
        const language = o.printApiCode === true ? "python" : String(o.printApiCode);
        if (language !== "python" && language !== "typescript") {
          throw new OdaError(
            "INVALID_ARGUMENT",
            `--print-api-code takes python or typescript, not '${language}'`,
          );
        }
        const url = g().url ?? io.env("ODA_DISPATCHER_URL") ?? code?.url ?? PRODUCTION_URL;
        io.out(renderApiCode(common, { url: resolveDispatcherUrl(url), language }));
        setCode(EXIT.OK);
        return;
      }
      const api = code === undefined ? makeApi(g(), io, o) : apiFromCode(g(), io, code, o);
      Object.assign(common, { silent: !!g().quiet, ...bounds(o, run) });
      if (!o.wait) {
        const job = await api.submit(common);
        printJson(io, job.toJSON());
        setCode(EXIT.OK);
        return;
      }
      const data = await api.getProduct(common);
      await finishCollection(io, data, { out: o.out, json: o.json }, run);
      setCode(EXIT.OK);
    });

  dispatcherCommand(program, "types")
    .description("write TypeScript types of the dispatcher's instruments, products and parameters")
    .option("-o, --out <file>", "write to this file (default: standard output)")
    .option(
      "-i, --instrument <name>",
      "only this instrument (repeatable; default: all the token sees)",
      collect,
      [],
    )
    .option("--name <name>", "name of the generated interface", "MmodaProducts")
    .option(
      "--import-from <specifier>",
      "where the file imports the package's types from",
      "@oda-hub/oda-api/types",
    )
    .action(async (o) => {
      const api = makeApi(g(), io, o);
      const description = await describeDispatcher(api, {
        ...(o.instrument.length ? { instruments: o.instrument } : {}),
        ...bounds(o, run),
      });
      const text = generateProductTypes(description, {
        name: o.name,
        importFrom: o.importFrom,
        source: `the dispatcher at ${redactSecrets(api.url)}`,
      });
      if (o.out) {
        await writeAtomic(o.out, new TextEncoder().encode(text), true);
        const n = Object.values(description.instruments).reduce((a, p) => a + Object.keys(p).length, 0);
        io.err(`wrote ${o.out}: ${Object.keys(description.instruments).length} instruments, ${n} products\n`);
      } else io.out(text);
      setCode(EXIT.OK);
    });

  dispatcherCommand(program, "describe")
    .description("list the parameters of an instrument or one of its products")
    .requiredOption("-i, --instrument <name>", "instrument")
    .option("-p, --product <name>", "product")
    .option("--json", "print JSON")
    .action(async (o) => {
      const api = makeApi(g(), io, o);
      if (o.product) {
        const d = await api.getProductDescription({
          instrument: o.instrument,
          product_name: o.product,
          ...bounds(o, run),
        });
        if (o.json) printJson(io, d);
        else io.out(String((d as { text?: string }).text ?? JSON.stringify(d, null, 2)) + "\n");
      } else {
        printJson(io, await api.getInstrumentDescription({ instrument: o.instrument, ...bounds(o, run) }));
      }
      setCode(EXIT.OK);
    });

  dispatcherCommand(program, "instruments")
    .description("list the instruments visible with your token")
    .option("--json", "print JSON")
    .action(async (o) => {
      const list = await makeApi(g(), io, o).getInstrumentsList(bounds(o, run));
      if (o.json) printJson(io, list);
      else io.out(list.join("\n") + "\n");
      setCode(EXIT.OK);
    });

  dispatcherCommand(program, "resolve")
    .description("resolve a source name to coordinates (/resolve_name)")
    .argument("<name>", "source name, e.g. 'Crab'")
    .action(async (name: string, o) => {
      printJson(io, await makeApi(g(), io, o).resolveName(name, bounds(o, run)));
      setCode(EXIT.OK);
    });

  const token = program.command("token").description("inspect, refresh or quieten your token");
  token.command("inspect")
    .description("show the token's payload, roles and expiry (exit 1 when none or expired)")
    .option("--json", "print JSON")
    .action((o) => {
      const found = g().token !== undefined
        ? { token: g().token, location: undefined }
        : discoverTokenAndMethod({ allow_invalid: true });
      if (!found.token) {
        io.err("error: no token found (set ODA_TOKEN or write it to ./.oda-token or ~/.oda-token)\n");
        setCode(EXIT.ERROR);
        return;
      }
      const payload = decodeOdaToken(found.token);
      const expiresIn = tokenExpiresIn(payload);
      const expired = expiresIn === undefined || isTokenExpired(payload);
      const where = found.location === undefined ? "--token" : tokenLocationName(found.location);
      if (o.json) {
        printJson(io, {
          location: where,
          payload,
          roles: tokenRoles(payload),
          expires_in_s: expiresIn,
          expired,
        });
      } else {
        io.out(formatTokenReport(payload, where) + "\n");
      }
      setCode(expired ? EXIT.ERROR : EXIT.OK);
    });
  for (
    const [name, what] of [["refresh", "extend the token's validity"], [
      "disable-email",
      "switch off job e-mails",
    ]] as const
  ) {
    dispatcherCommand(token, name)
      .description(`${what} (prints the new payload; --write stores the new token)`)
      .option("--write [locations]", "write the new token (FILE_CUR_DIR, FILE_HOME; comma-separated)")
      .option("--force", "write even if the new token looks weaker than the current one")
      .action(async (o) => {
        const api = makeApi(g(), io, o);
        const opts = {
          ...bounds(o, run),
          write_token: o.write !== undefined,
          token_write_methods: writeMethods(typeof o.write === "string" ? o.write : undefined),
          write_options: { force: !!o.force },
        };
        const fresh = name === "refresh"
          ? await api.refreshToken(g().token, opts)
          : await api.disableEmailToken(g().token, opts);
        const payload = decodeOdaToken(fresh);
        io.out(`your new token payload: ${formatToken(payload)}\n`);
        io.out(formatTokenExpiry(tokenExpiresIn(payload)) + "\n");
        if (o.write !== undefined) io.out(`written to: ${opts.token_write_methods.join(", ")}\n`);
        setCode(EXIT.OK);
      });
  }

  const jobs = program.command("jobs").description("your recent jobs; resume a job");
  dispatcherCommand(jobs, "list")
    .description("list your recent jobs (/inspect-state)")
    .option("-j, --job-id <id>", "only this job")
    .option("--group-by-job", "group records by job")
    .action(async (o) => {
      const state = await makeApi(g(), io, o).inspectState({
        ...bounds(o, run),
        ...(o.jobId ? { job_id: o.jobId } : {}),
        group_by_job: !!o.groupByJob,
      });
      printJson(io, state);
      setCode(EXIT.OK);
    });
  dispatcherCommand(jobs, "resume")
    .description("continue a job from the handle printed by `get --no-wait` (JSON, a file, or - for stdin)")
    .argument("<handle>", "job handle")
    .option("-o, --out <dir>", "save every product into this directory")
    .option("--json", "print the result as JSON")
    .action(async (handle: string, o) => {
      const saved = await readHandle(handle);
      const url = g().url ?? io.env("ODA_DISPATCHER_URL") ?? saved.url;
      const job = DispatcherAPI.resume(saved, {
        url,
        ...clientOptions(g(), o),
        silent: !!g().quiet,
      });
      const data = await job.result(bounds(o, run)) as DataCollection;
      await finishCollection(io, data, { out: o.out, json: o.json }, run);
      setCode(EXIT.OK);
    });

  const sandbox = program.command("sandbox")
    .description("run the offline sandbox dispatcher and print its URL and a token")
    .option("--port <port>", "port on 127.0.0.1 (default 8011, 0: a free one)", numberArg)
    .option("--seed <seed>", "random seed of the simulated data (default 1)", numberArg)
    .option("--job-seconds <s>", "duration of a simulated asynchronous job", numberArg)
    .option("--no-workers", "run big simulations on the event loop, not in worker threads");
  // the sandbox's memory bounds: one flag per option, validated by the sandbox's own parsers
  for (const f of SANDBOX_BOUND_FLAGS) {
    sandbox.option(`--${f.name} <${f.value}>`, f.help, (text: string) => {
      try {
        return f.parse(text);
      } catch (e) {
        throw new InvalidArgumentError(errorMessage(e).replace(/^--[\w-]+: /, ""));
      }
    });
  }
  sandbox.action(async (o) => {
    const { serveSandbox } = await import("../sandbox/main.ts");
    const options: SandboxOptions = {
      port: o.port,
      seed: o.seed,
      jobDuration: o.jobSeconds,
      workers: o.workers,
    };
    for (const f of SANDBOX_BOUND_FLAGS) {
      const value = o[camel(f.name)];
      if (value !== undefined) f.apply(options, value);
    }
    await serveSandbox(options, (t) => io.out(t));
    setCode(EXIT.OK);
  });

  const demo = program.command("demo")
    .description("run the whole seed workflow against an embedded sandbox and write an HTML report")
    .option("-o, --out <dir>", "output directory", "oda-demo-output")
    .option("--seed <seed>", "random seed of the simulated data", numberArg, 42)
    .option("--job-seconds <s>", "duration of each simulated asynchronous job (default 1.5)", secondsArg)
    .action(async (o) => {
      const { runDemo } = await import("./demo.ts");
      await runDemo({
        out: o.out,
        seed: o.seed,
        io,
        ...(o.jobSeconds !== undefined ? { jobSeconds: o.jobSeconds } : {}),
        signal: run.signal,
      });
      setCode(EXIT.OK);
    });
  // Ctrl-C cancels the demo as it does a dispatcher command (its embedded sandbox is closed on the way out)
  talks.add(demo);

  return program;
}

/**
 * Run the command line with these arguments; resolves to the exit code.
 *
 * @example
 * ```ts
 * import { main } from "@oda-hub/oda-api/cli";
 * const code = await main(["token", "inspect"]);
 * console.log(code); // 0 with a valid token, 1 without
 * ```
 */
export async function main(args: readonly string[], io: CliIO = processIO()): Promise<number> {
  let code: number = EXIT.OK;
  const run: RunContext = {};
  const talks = new Set<Command>();
  const program = buildProgram(io, (c) => code = c, run, talks);
  const g = () => program.opts<GlobalOptions>();
  let restore = () => {};
  let interrupt: Disposable | undefined;
  program.hook("preAction", (_program, action) => {
    // The demo manages its own (INFO-level) output.
    if (action.name() !== "demo") restore = setupLogging(io, g());
    if (!talks.has(action)) return;
    // Ctrl-C cancels a dispatcher command or the demo through its signal (the sandbox stops its own way)
    const signals = io.signal ? [io.signal] : [];
    if (io.interruptOnSigint) {
      const s = sigintSignal((t) => io.err(t));
      interrupt = s;
      signals.push(s.signal);
    }
    run.signal = signals.length > 1 ? AbortSignal.any(signals) : signals[0];
  });
  try {
    await program.parseAsync(args as string[], { from: "user" });
    return code;
  } catch (e) {
    if (run.signal?.aborted) {
      // cancelled by the user: one line, whatever the request was doing when it stopped
      const r = run.signal.reason;
      io.err(`error: ${r instanceof OdaError ? oneLine(r.message) : "interrupted"}\n`);
      return EXIT.INTERRUPTED;
    }
    if (e instanceof CommanderError) {
      if (e.exitCode !== 0 && e.message && !e.code.startsWith("commander.help")) {
        io.err(`${e.message}\n`);
      }
      return e.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
    }
    io.err(`error: ${oneLine(errorMessage(e))}\n`);
    if ((g().verbose ?? 0) > 0 && e instanceof Error) {
      const details = e instanceof OdaError ? JSON.stringify(e.toJSON()) : e.stack ?? "";
      io.err(redactSecrets(details) + "\n");
      if (e.cause) io.err(`cause: ${errorMessage(e.cause)}\n`);
    }
    return exitCodeFor(e);
  } finally {
    interrupt?.[Symbol.dispose]();
    restore();
  }
}
