/**
 * SVG → PNG rasterisation of the static plots with `npm:@resvg/resvg-wasm`
 * (loaded lazily on first use, with the DejaVu Sans font so text renders;
 * the legend layout of `render.ts` measures text in that font).
 *
 * @module
 */

interface ResvgModule {
  initWasm(m: BufferSource | WebAssembly.Module): Promise<void>;
  Resvg: new (
    svg: string | Uint8Array,
    opts?: Record<string, unknown>,
  ) => { render(): { asPng(): Uint8Array; free?: () => void }; free?: () => void };
}

let resvgReady: Promise<ResvgModule | undefined> | undefined;
let fontBuffers: Uint8Array[] = [];

/**
 * Font files tried for text in rasterised SVGs, first found wins (plus the bold face).
 *
 * @example
 * ```ts
 * import { FONT_CANDIDATES } from "@oda-hub/oda-api/display";
 * const font = FONT_CANDIDATES.find((p) => {
 *   try {
 *     return Deno.statSync(p).isFile;
 *   } catch {
 *     return false;
 *   }
 * }); // the font resvg will use (the ODA_FONT_FILE environment variable takes precedence)
 * ```
 */
export const FONT_CANDIDATES: readonly string[] = [
  "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
  "/usr/share/fonts/TTF/DejaVuSans.ttf",
  "/usr/share/fonts/dejavu/DejaVuSans.ttf",
  "/Library/Fonts/Arial.ttf",
  "C:\\Windows\\Fonts\\arial.ttf",
];

function loadFonts(): Uint8Array[] {
  const env = (() => {
    try {
      return Deno.env.get("ODA_FONT_FILE");
    } catch {
      return undefined;
    }
  })();
  for (const p of env ? [env, ...FONT_CANDIDATES] : FONT_CANDIDATES) {
    try {
      const regular = Deno.readFileSync(p);
      const out = [regular];
      try {
        out.push(Deno.readFileSync(p.replace(/\.ttf$/i, "-Bold.ttf")));
      } catch { /* bold face optional */ }
      return out;
    } catch { /* try next */ }
  }
  return [];
}

async function loadResvg(): Promise<ResvgModule | undefined> {
  try {
    const mod = await import("npm:@resvg/resvg-wasm@2.6.2") as unknown as ResvgModule;
    const wasmUrl = new URL(import.meta.resolve("npm:@resvg/resvg-wasm@2.6.2/index_bg.wasm"));
    await mod.initWasm(await Deno.readFile(wasmUrl));
    fontBuffers = loadFonts();
    return mod;
  } catch {
    return undefined;
  }
}

/**
 * Whether text will render in rasterised plots (a TTF font was found; set
 * `ODA_FONT_FILE` to point at one otherwise).
 *
 * @example
 * ```ts
 * import { rasterFontAvailable, svgToPng } from "@oda-hub/oda-api/display";
 * await svgToPng('<svg xmlns="http://www.w3.org/2000/svg" width="2" height="2"/>');
 * console.log(rasterFontAvailable());
 * ```
 */
export function rasterFontAvailable(): boolean {
  return fontBuffers.length > 0;
}

/**
 * Rasterise an SVG to PNG bytes with resvg-wasm (lazily loaded). Resolves to
 * `undefined` when the rasteriser cannot be loaded, so callers can fall back
 * to SVG only.
 *
 * @example
 * ```ts
 * import { plotSvg, svgToPng } from "@oda-hub/oda-api/display";
 * const png = await svgToPng(plotSvg([{ x: [1, 2], y: [1, 2] }]));
 * console.log(png?.length);
 * ```
 */
export async function svgToPng(svg: string, opts: { width?: number } = {}): Promise<Uint8Array | undefined> {
  resvgReady ??= loadResvg();
  const mod = await resvgReady;
  if (!mod) return undefined;
  const r = new mod.Resvg(svg, {
    fitTo: opts.width ? { mode: "width", value: opts.width } : { mode: "original" },
    font: {
      fontBuffers,
      loadSystemFonts: false,
      defaultFontFamily: "DejaVu Sans",
      sansSerifFamily: "DejaVu Sans",
    },
  });
  const img = r.render();
  const png = img.asPng();
  img.free?.();
  r.free?.();
  return png;
}
