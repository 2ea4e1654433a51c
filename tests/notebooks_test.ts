// The two seed notebooks and the science notebook, executed headless in real Jupyter with the Deno kernel
// against the sandbox (tools/run_nb.py: the quiet-window runner), then rendered to HTML (tools/svg.html.j2)
// and screenshotted with headless Chromium into tests/out/notebooks/. The runs mostly wait (kernel start-up,
// sandbox jobs), so all notebooks run at once, and the renders and screenshots too.
import assert from "node:assert/strict";
import { PYTHON, testWithTool } from "./_validators.ts";
import { runChromium } from "./_chromium.ts";
import { startSandbox } from "../sandbox.ts";
import { decode as decodePng } from "fast-png";

const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const OUT = `${ROOT}/tests/out/notebooks`;
const NOTEBOOKS = ["UserToken", "Authentication"] as const;
/**
 * Runs of each seed notebook in a row. UserToken runs twice: the second run meets the token files it wrote
 * (`write_token`) and the FITS files of the first, and must still pass. Authentication writes no token and
 * saves its FITS files the same way (`saveAllData({ overwrite: true })`), so its second run would check
 * nothing UserToken's does not: it runs once.
 */
const ROUNDS: Record<(typeof NOTEBOOKS)[number], number> = { UserToken: 2, Authentication: 1 };
const JWT_RE = /eyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}/;

interface Output {
  output_type: string;
  name?: string | undefined;
  text?: string | string[];
  data?: Record<string, unknown>;
  ename?: string;
  evalue?: string;
}
interface Cell {
  cell_type: string;
  source: string | string[];
  outputs?: Output[];
}
interface Notebook {
  cells: Cell[];
}

const src = (c: Cell) => (Array.isArray(c.source) ? c.source.join("") : c.source);
const text = (t: string | string[] | undefined) => (Array.isArray(t) ? t.join("") : t ?? "");
const plain = (o: Output) => text(o.data?.["text/plain"] as string | string[] | undefined);

function cellsMatching(nb: Notebook, needle: string | RegExp): Cell[] {
  return nb.cells.filter((c) =>
    c.cell_type === "code" && (typeof needle === "string" ? src(c).includes(needle) : needle.test(src(c)))
  );
}

function mimes(c: Cell): string[] {
  return (c.outputs ?? []).flatMap((o) => Object.keys(o.data ?? {}));
}

function expectMimes(nb: Notebook, name: string, needle: string | RegExp, want: string[]): void {
  const cells = cellsMatching(nb, needle);
  assert.ok(cells.length > 0, `${name}: no cell matches ${needle}`);
  for (const c of cells) {
    const have = mimes(c);
    for (const m of want) {
      assert.ok(
        have.includes(m),
        `${name}: cell ${JSON.stringify(src(c).slice(0, 60))} lacks ${m} (has ${have})`,
      );
    }
  }
}

async function run(
  cmd: string,
  args: string[],
  opts: { cwd?: string | undefined; env?: Record<string, string> } = {},
) {
  const out = await new Deno.Command(cmd, {
    args,
    ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}),
    ...(opts.env !== undefined ? { env: opts.env } : {}),
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

interface NotebookRun {
  name: string;
  dir: string;
  dst: string;
  r: { code: number; stdout: string; stderr: string };
  results: { round: number; r: { code: number; stdout: string; stderr: string }; raw: string }[];
}

/**
 * Runs `name` (a copy, one level below the repository so the notebooks' `import "../mod.ts"` resolves)
 * `rounds` times in a row in the same folder ("Restart & Run All" again meets the files of the run before);
 * the executed notebook of the last round is in `dst`.
 */
async function runNotebook(
  name: string,
  sb: { url: string },
  token: string,
  rounds: number,
  timeout: number,
): Promise<NotebookRun> {
  const dir = await Deno.makeTempDir({ dir: ROOT, prefix: `.nbrun-${name}-` });
  await Deno.copyFile(`${ROOT}/notebooks/${name}.ipynb`, `${dir}/${name}.ipynb`);
  const dst = `${OUT}/${name}.executed.ipynb`;
  const results = [];
  for (let round = 1; round <= rounds; round++) {
    const r = await run(PYTHON, [
      `${ROOT}/tools/run_nb.py`,
      `${dir}/${name}.ipynb`,
      dst,
      "--cwd",
      dir,
      "--timeout",
      String(timeout),
    ], {
      env: { ODA_DISPATCHER_URL: sb.url, ODA_TOKEN: token, NO_COLOR: "1", RUST_BACKTRACE: "0" },
    });
    results.push({ round, r, raw: await Deno.readTextFile(dst).catch(() => "") });
    if (r.code !== 0) break;
  }
  return { name, dir, dst, r: results.at(-1)!.r, results };
}

testWithTool(
  "notebooks: both seed notebooks (UserToken twice) and Science.ipynb run headless against the sandbox",
  [
    "jupyter",
    "fitsverify",
  ],
  async (t) => {
    await Deno.mkdir(OUT, { recursive: true });
    await using sb = await startSandbox({ seed: 7, jobDuration: 1.5 });
    // the science notebook has its own sandbox with instant jobs
    await using scienceSb = await startSandbox({ seed: 7, jobDuration: 0 });
    const token = await sb.mintToken();
    const scienceToken = await scienceSb.mintToken();
    // "Restart & Run All" again in the same folder (ROUNDS): the last run's output is the one checked below
    const [runs, science] = await Promise.all([
      Promise.all(NOTEBOOKS.map((name) => runNotebook(name, sb, token, ROUNDS[name], 240))),
      runNotebook("Science", scienceSb, scienceToken, 1, 120),
    ]);
    try {
      await t.step(
        "Science.ipynb finds a flare, the GX 1+4 pulse and saves an XSPEC-ready spectrum",
        () => checkScience(science, scienceToken),
      );
      await t.step("the seed notebooks' outputs, cells and saved files", () => checkSeeds(runs, token));
    } finally {
      for (const { dir } of [...runs, science]) await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
);

async function checkSeeds(runs: NotebookRun[], token: string): Promise<void> {
  const liveUpdates: number[] = [];
  for (const { name, dir, dst, r, results } of runs) {
    const raw = await Deno.readTextFile(dst);
    const failedRun = results.find((x) => x.r.code !== 0);
    assert.equal(
      failedRun,
      undefined,
      `${name}: run ${failedRun?.round} failed: ${
        (raw.match(/"ename": "[^"]*",\s*"evalue": "[^"]{0,300}/g) ?? []).join("\n")
      }\n${failedRun?.r.stderr.slice(-1500)}`,
    );
    assert.equal(
      results.length,
      ROUNDS[name as keyof typeof ROUNDS],
      `${name}: stopped after run ${results.length}`,
    );
    for (const { round, raw: text } of results) {
      assert.ok(
        text.length < 2_000_000,
        `${name}: executed notebook of run ${round} is ${text.length} bytes`,
      );
    }
    const nb = JSON.parse(raw) as Notebook;
    const errors = nb.cells.flatMap((c) => (c.outputs ?? []).filter((o) => o.output_type === "error"));
    assert.equal(
      r.code,
      0,
      `${name}: run_nb exit ${r.code}\n${r.stdout}\n${r.stderr.slice(-3000)}\n${
        errors.map((e) => `${e.ename}: ${e.evalue}`).join("\n")
      }`,
    );
    assert.deepEqual(errors, [], `${name}: error outputs`);
    // every code cell ran
    for (const c of nb.cells.filter((c) => c.cell_type === "code")) {
      assert.ok(
        (c as { execution_count?: number }).execution_count,
        `${name}: cell not executed: ${src(c).slice(0, 50)}`,
      );
    }
    // no token (the minted one, nor any refreshed one) anywhere in the executed notebook
    assert.ok(!raw.includes(token), `${name}: the token string leaked into the notebook`);
    assert.doesNotMatch(raw, JWT_RE, `${name}: something JWT-like leaked into the notebook`);

    // every cell's output stays under 300 KB
    for (const c of nb.cells.filter((c) => c.cell_type === "code")) {
      const size = JSON.stringify(c.outputs ?? []).length;
      assert.ok(
        size < 300_000,
        `${name}: ${size} bytes of output from ${JSON.stringify(src(c).slice(0, 50))}`,
      );
    }
    // expected outputs, cell by cell
    const show = cellsMatching(nb, "data_collection.show()")[0];
    // show() prints once: its text, no second copy as the cell's value
    assert.deepEqual(show.outputs?.map((o) => o.output_type), ["stream"], `${name}: show() outputs`);
    // the product description prints once at any level (DEBUG in Authentication, INFO in UserToken)
    for (
      const d of cellsMatching(nb, /getProductDescription\(\{[^}]*product_name: "isgri_spectrum"\s*\}\)/)
    ) {
      const out = (d.outputs ?? []).map((o) => text(o.text)).join("");
      assert.equal(
        out.split("parameters for product isgri_spectrum").length - 1,
        1,
        `${name}: description once`,
      );
    }
    assert.match(
      text(show.outputs?.find((o) => o.name === "stdout")?.text),
      /^ID=0 prod_name=spi_acs_lc_0_query {2}meta_data: \{/m,
    );
    // the first runs waited for real jobs (a second run, or the other notebook asking the same, may find the
    // server's cached result at once): updates are counted over both notebooks below
    const first = JSON.parse(results[0].raw) as Notebook;
    for (
      const getter of cellsMatching(first, /instrument: "isgri"/).filter((c) =>
        src(c).includes("getProduct(")
      )
    ) {
      const updates = (getter as { metadata?: { run_nb?: { display_updates?: number } } }).metadata?.run_nb
        ?.display_updates ?? 0;
      liveUpdates.push(updates);
      const last = (getter.outputs ?? []).find((o) => o.output_type === "display_data");
      // the summary counts the science windows the sandbox reported ("processing science window i/N")
      assert.match(
        plain(last!),
        / · \d+(\/\d+)? science windows · /,
        `${name}: science windows in the summary`,
      );
    }
    for (const getter of cellsMatching(nb, "await disp.getProduct(")) {
      const progress = (getter.outputs ?? []).filter((o) => o.output_type === "display_data");
      assert.equal(
        progress.length,
        1,
        `${name}: one progress display per job (${src(getter).slice(0, 40)})`,
      );
      assert.match(plain(progress[0]), /^✔ \S+ \(\S+\) done in [\d.]+ s · job [0-9a-f]+/);
    }
    expectMimes(nb, name, "plotLightCurve(", [
      "application/vnd.vegalite.v5+json",
      "image/png",
      "text/plain",
    ]);
    expectMimes(nb, name, /^\/\/ access it as an attribute\nimage\.mosaic_image_0_mosaic;?$/, [
      "text/html",
      "text/plain",
    ]);
    const mosaicHtml = text(
      cellsMatching(nb, /^\/\/ access it as an attribute/)[0].outputs![0].data!["text/html"] as string,
    );
    assert.match(mosaicHtml, /ISGR-MOSA-IMA[\s\S]*<details><summary>header/, `${name}: units with headers`);
    assert.match(mosaicHtml, /<img [^>]*src="data:image\/png;base64,/, `${name}: mosaic thumbnail inline`);
    const thumb = mosaicHtml.match(/src="data:image\/png;base64,([^"]+)"/)![1];
    assert.ok(thumb.length * 0.75 <= 40_000, `${name}: thumbnail ${Math.round(thumb.length * 0.75)} bytes`);
    expectMimes(nb, name, /^\/\/ access it as a list member\ndata_collection\._p_list\[0\];?$/, [
      "text/html",
      "text/plain",
    ]);
    const cat = cellsMatching(nb, "getApiDictionary()")[0];
    assert.match(plain(cat.outputs![0]), /cat_column_list/);
    assert.match(plain(cat.outputs![0]), /MAXI J1820\+070/);
    const dict = JSON.parse(plain(cat.outputs![0]).replace(/^'|'$/g, "")) as {
      cat_column_list: unknown[][];
    };
    const names = dict.cat_column_list[1] as string[];
    assert.ok(
      names.length > 0 && names.every((n) => !n.includes("NEW")),
      `${name}: filtered sources ${names}`,
    );
    if (name === "UserToken") {
      expectMimes(nb, name, "displayToken(", ["text/html", "text/plain"]);
      expectMimes(nb, name, "productDescriptionView(descr)", ["text/html", "text/plain"]);
      expectMimes(nb, name, "plotImage(", ["image/png", "text/plain"]);
      expectMimes(nb, name, /^image;?$/, ["text/html", "text/plain"]);
      const coll = cellsMatching(nb, /^image;?$/)[0].outputs![0];
      for (const h of ["ID", "attribute", "kind", "meta_data", "data units"]) {
        assert.ok(
          text(coll.data!["text/html"] as string).includes(`<th>${h}</th>`),
          `collection table: ${h}`,
        );
      }
      assert.match(plain(coll), /^ID=0 prod_name=mosaic_image_0_mosaic {2}meta_data: /);
      assert.match(
        text(coll.data!["text/html"] as string),
        /ISGR-MOSA-IMA \(SIGNIFICANCE\): image &[lg]t;f4 \[\d+, \d+\]/,
      );
      expectMimes(nb, name, "plotSpectrum(", [
        "application/vnd.vegalite.v5+json",
        "image/png",
        "text/plain",
      ]);
      expectMimes(nb, name, /^image\.dispatcher_catalog_1;?$/, [
        "text/html",
        "application/vnd.dataresource+json",
      ]);
      const lcCell = cellsMatching(nb, "const curve = lightCurve(lc_maxi)")[0];
      const spec = lcCell.outputs!.find((o) => o.data?.["application/vnd.vegalite.v5+json"])!.data![
        "application/vnd.vegalite.v5+json"
      ] as {
        title: { text: string };
        layer: { encoding: { x: { title: string }; y: { title: string } } }[];
      };
      assert.equal(spec.title.text, "ISGRI light curve of MAXI J1820+070");
      assert.match(
        spec.layer[0].encoding.x.title,
        /^Time \[[dhs]\] since \d{4}-\d\d-\d\d \d\d:\d\d .*IJD = MJD − 51544/,
      );
      assert.match(spec.layer[0].encoding.y.title, /^Rate \[30-80 keV\]$/);
    }
    // saved FITS files
    const fits = [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n.endsWith(".fits")).sort();
    assert.deepEqual(
      fits.map((f) => f.replace(/^prod_(\d)_.*_(isgri_\w+)\.fits$/, "$1 $2")),
      ["0 isgri_spectrum", "1 isgri_arf", "2 isgri_rmf"],
      `${name}: saved files ${fits}`,
    );
    for (const f of fits) {
      const head = new TextDecoder().decode((await Deno.readFile(`${dir}/${f}`)).subarray(0, 30));
      assert.match(head, /^SIMPLE {2}= {20}T/, `${f} is a FITS file`);
    }
  }
  // asynchronous jobs: the display was updated in place while waiting (status, windows done, summary)
  assert.ok(
    liveUpdates.filter((u) => u >= 2).length >= 2,
    `progress updated in place: ${liveUpdates.join(", ")} times per job`,
  );
}

function nonBlank(png: Uint8Array): { nonWhite: number; colourful: number } {
  const img = decodePng(png);
  let nonWhite = 0, colourful = 0;
  for (let i = 0; i < img.data.length; i += img.channels) {
    const r = img.data[i], g = img.data[i + 1], b = img.data[i + 2];
    if (r < 235 || g < 235 || b < 235) nonWhite++;
    if (Math.max(r, g, b) - Math.min(r, g, b) > 60) colourful++;
  }
  return { nonWhite, colourful };
}

/** Renders every `${OUT}/${base}.ipynb` to `${OUT}/${base}.html` with our SVG template (one nbconvert); the HTML. */
async function toHtml(bases: string[]): Promise<string[]> {
  const r = await run("jupyter", [
    "nbconvert",
    "--to",
    "html",
    "--template-file",
    `${ROOT}/tools/svg.html.j2`,
    ...bases.map((base) => `${OUT}/${base}.ipynb`),
  ]);
  assert.equal(r.code, 0, r.stderr);
  return await Promise.all(bases.map((base) => Deno.readTextFile(`${OUT}/${base}.html`)));
}

/** Screenshots `${OUT}/${base}.html` at `size` ("w,h") into `shot`; the pixel counts of {@linkcode nonBlank}. */
async function screenshot(
  base: string,
  size: string,
  shot = `${OUT}/${base}.png`,
): Promise<{ nonWhite: number; colourful: number }> {
  await Deno.remove(shot).catch(() => {});
  const r = await runChromium([
    "--hide-scrollbars",
    `--window-size=${size}`,
    `--screenshot=${shot}`,
    `file://${OUT}/${base}.html`,
  ]);
  assert.equal(r.code, 0, r.stderr.slice(-2000));
  return nonBlank(await Deno.readFile(shot));
}

testWithTool("notebooks: executed notebooks render to HTML and screenshot with Chromium", [
  "jupyter",
  "chromium",
], async () => {
  for (const name of NOTEBOOKS) {
    const executed = `${OUT}/${name}.executed.ipynb`;
    const nb = JSON.parse(await Deno.readTextFile(executed)) as Notebook; // written by the test above
    // a short "showcase" copy (the display-heavy cells) keeps the screenshot readable
    const pickFirst = (re: RegExp) => nb.cells.find((c) => c.cell_type === "code" && re.test(src(c)));
    const keep = [
      /plotImage\(/,
      /lightCurve\(lc_maxi\)/,
      /SPI-ACS light curve of 4U 1700-377/,
      /^image\.dispatcher_catalog_1;?$/m,
      /^\/\/ access it as an attribute/,
      /plotSpectrum\(/,
      /^\/\/ access it as a list member/,
    ].map(pickFirst).filter((c): c is Cell => c !== undefined);
    const showcase = { ...nb, cells: keep };
    await Deno.writeTextFile(`${OUT}/${name}.showcase.ipynb`, JSON.stringify(showcase));
  }
  const bases = [
    ...NOTEBOOKS.flatMap((name) => [`${name}.executed`, `${name}.showcase`]),
    "Science.executed",
  ];
  const htmls = await toHtml(bases);
  bases.forEach((base, i) => {
    assert.match(htmls[i], /<img [^>]*src="data:image\/png;base64,/, `${base}: PNG outputs in the HTML`);
    assert.doesNotMatch(htmls[i], JWT_RE, `${base}: no token`);
  });
  // (base, window size, least coloured pixels, screenshot file)
  const shots: [string, string, number, string?][] = [
    ...NOTEBOOKS.flatMap((name): [string, string, number][] => [
      [`${name}.showcase`, "1200,2400", 5_000],
      [`${name}.executed`, "1200,14000", 5_000],
    ]),
    ["Science.executed", "1200,4200", 2_000, `${OUT}/Science.png`],
  ];
  // two Chromiums at a time (they are CPU-bound; the machine has 2 cores)
  const queue = [...shots];
  const lane = async () => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      const [base, size, colourful, shot] = next;
      const s = await screenshot(base, size, shot);
      assert.ok(s.nonWhite > 50_000, `${base}: screenshot has content (${s.nonWhite} non-white pixels)`);
      assert.ok(s.colourful > colourful, `${base}: screenshot shows coloured plots/images (${s.colourful})`);
    }
  };
  await Promise.all([lane(), lane()]);
});

/** The science notebook's outputs and saved files (run by the first test, with its own instant-job sandbox). */
async function checkScience({ dir, dst, r }: NotebookRun, token: string): Promise<void> {
  const raw = await Deno.readTextFile(dst);
  const nb = JSON.parse(raw) as Notebook;
  const errors = nb.cells.flatMap((c) => (c.outputs ?? []).filter((o) => o.output_type === "error"));
  assert.equal(r.code, 0, `run_nb exit ${r.code}\n${r.stderr.slice(-3000)}\n${JSON.stringify(errors)}`);
  assert.ok(!raw.includes(token) && !JWT_RE.test(raw), "no token in the notebook");
  const stdout = nb.cells.flatMap((c) =>
    (c.outputs ?? []).filter((o) => o.name === "stdout").map((o) => text(o.text))
  )
    .join("\n");
  // a flare of the flaring burster, found as an excess episode
  assert.match(stdout, /^flare: IJD [\d.]+–[\d.]+, peak [\d.]+ counts\/s at [\d.]+, \d+\.\dσ$/m);
  // the GX 1+4 pulse (159 s in the sandbox sky) recovered, significant
  const m = /pulse period ([\d.]+) s, false-alarm probability ([\d.e+-]+)/.exec(stdout);
  assert.ok(m, stdout);
  assert.ok(Math.abs(Number(m[1]) - 159) < 0.5, `period ${m[1]} s`);
  assert.ok(Number(m[2]) < 1e-6, `FAP ${m[2]}`);
  for (const needle of ["plotLightCurveAnalysis(", "plotPeriodogram(", "plotFoldedLightCurve("]) {
    expectMimes(nb, "Science", needle, ["application/vnd.vegalite.v5+json", "image/png", "text/plain"]);
  }
  // the grouped spectrum set: fitsverify-clean, RESPFILE/ANCRFILE naming the saved neighbours
  const spec = `${dir}/xspec/gx1p4_spectrum.fits`;
  for (const f of ["gx1p4_spectrum.fits", "gx1p4_arf.fits", "gx1p4_rmf.fits"]) {
    const v = await run("fitsverify", ["-q", "-e", `${dir}/xspec/${f}`]);
    assert.match(v.stdout + v.stderr, /verification OK/, `${f}: ${v.stdout}`);
  }
  const keys = await run(PYTHON, [
    "-c",
    "import sys; from astropy.io import fits; h = [x for x in fits.open(sys.argv[1]) if x.header.get('HDUCLAS1') == 'SPECTRUM'][0]; print(h.header['RESPFILE'], h.header['ANCRFILE'], 'GROUPING' in h.columns.names, round(float(h.data['SYS_ERR'][0]), 6))",
    spec,
  ]);
  assert.equal(keys.stdout.trim(), "gx1p4_rmf.fits gx1p4_arf.fits True 0.01", keys.stderr);
  assert.match(
    await Deno.readTextFile(`${dir}/chosen.reg`),
    /^circle\([\d.]+,-24\.7\d+,5'\) # text=\{GX 1\+4\}$/m,
  );
}
