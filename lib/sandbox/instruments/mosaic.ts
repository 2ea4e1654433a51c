/**
 * Coded-mask sky mosaics: TAN-projected INTENSITY / VARIANCE / SIGNIFICANCE /
 * EXPOSURE maps built from the science windows' coded fields of view, point
 * sources convolved with a Gaussian PSF, Gaussian background noise scaled by
 * the exposure, and the source detection that produces the image catalogue.
 *
 * Pure numbers only: encoding into products lives in `encode.ts`.
 *
 * @module
 */
import { angularSeparation, BRIGHT_SOURCES, type PointSource, sourcesWithin } from "./sources.ts";
import { bandRate, bandVariance, type DetectorModel, powerLaw } from "./response.ts";
import { exposureAt, type FieldOfView, type ScienceWindow, tanDeproject, tanProject } from "./observation.ts";
import { hashSeed, Rng } from "./rng.ts";
import { activeTransients, isActive } from "./transients.ts";

/** Imaging properties of a coded-mask instrument. */
export interface ImagingModel {
  /** Spectral model (ARF, background). */
  detector: DetectorModel;
  /** Field of view. */
  fov: FieldOfView;
  /** Mosaic pixel size (deg). */
  pixelDeg: number;
  /** PSF full width at half maximum (deg). */
  psfFwhmDeg: number;
  /** Minimum significance for a catalogue source to be listed. */
  knownThreshold: number;
  /** Minimum significance for a new source. */
  newThreshold: number;
}

/** A source placed on the sky of a simulation. */
export interface SkySource extends PointSource {
  /** Catalogue row id (`meta_ID`). */
  meta_ID: number;
  /** Whether it is a new (uncatalogued) source. */
  isNew: boolean;
  /** Catalogue position error (deg), null for new sources. */
  errRad: number | null;
}

/** A detection: the source plus its measured significance and rate. */
export interface Detection extends SkySource {
  /** Measured significance (sigma). */
  significance: number;
  /** True on-axis-equivalent count rate in the band (counts/s). */
  rate: number;
  /** Effective exposure at the source (s). */
  exposure: number;
}

/** Mosaic geometry. */
export interface MosaicGeometry {
  /** Columns. */
  nx: number;
  /** Rows. */
  ny: number;
  /** Reference pixel (1-based, FITS). */
  crpix1: number;
  /** Reference pixel (1-based, FITS). */
  crpix2: number;
  /** Pixel size (deg, positive; CDELT1 is its negative). */
  pixelDeg: number;
  /** Centre RA (deg). */
  ra0: number;
  /** Centre Dec (deg). */
  dec0: number;
}

/** The four maps of a mosaic (row-major, `ny` rows of `nx`). */
export interface MosaicMaps extends MosaicGeometry {
  /** Source count rate (counts/s). */
  intensity: Float32Array;
  /** Variance of the intensity. */
  variance: Float32Array;
  /** intensity / √variance. */
  significance: Float32Array;
  /** Effective exposure (s). */
  exposure: Float32Array;
}

/**
 * Geometry covering every pointing's field of view (capped at 2001×2001
 * pixels), or an explicit size.
 *
 * @example
 * ```ts
 * import { mosaicGeometry } from "./mosaic.ts";
 * import { ISGRI_IMAGING } from "./isgri.ts";
 * const g = mosaicGeometry(ISGRI_IMAGING, [], 83.63, 22.01, 501);
 * console.log(g.nx); // 501
 * ```
 */
export function mosaicGeometry(
  imaging: ImagingModel,
  scws: readonly ScienceWindow[],
  ra0: number,
  dec0: number,
  npix?: number,
): MosaicGeometry {
  let n: number;
  if (npix !== undefined) n = Math.max(3, Math.floor(npix) | 1);
  else {
    let half = imaging.fov.zero;
    for (const s of scws) {
      const [x, y] = tanProject(ra0, dec0, s.ra, s.dec);
      if (!Number.isNaN(x)) {
        half = Math.max(half, Math.abs(x) + imaging.fov.zero, Math.abs(y) + imaging.fov.zero);
      }
    }
    half = Math.min(half, 80);
    n = Math.min(2001, 2 * Math.ceil(half / imaging.pixelDeg) + 1);
  }
  return { nx: n, ny: n, crpix1: (n + 1) / 2, crpix2: (n + 1) / 2, pixelDeg: imaging.pixelDeg, ra0, dec0 };
}

/**
 * Sky → 0-based fractional pixel (x, y), NaN if behind the projection.
 *
 * @example
 * ```ts ignore
 * const [x, y] = skyToPixel(geometry, 83.63, 22.01); // 0-based fractional pixel
 * ```
 */
export function skyToPixel(g: MosaicGeometry, ra: number, dec: number): [number, number] {
  const [xi, eta] = tanProject(g.ra0, g.dec0, ra, dec);
  return [g.crpix1 - 1 - xi / g.pixelDeg, g.crpix2 - 1 + eta / g.pixelDeg];
}

/**
 * Band count rate of a sky source.
 *
 * @example
 * ```ts ignore
 * const rate = sourceRate(ISGRI, source, 20, 40); // counts/s
 * ```
 */
export function sourceRate(det: DetectorModel, s: PointSource, e1: number, e2: number): number {
  return bandRate(det, powerLaw(s.flux_mCrab, s.index, s.cutoff_keV), e1, e2);
}

/** Inputs of {@linkcode detectSources}. */
export interface DetectOptions {
  /** Imaging model. */
  imaging: ImagingModel;
  /** Science windows. */
  scws: readonly ScienceWindow[];
  /** Geometry (limits the search area). */
  geometry: MosaicGeometry;
  /** Band (keV). */
  e1: number;
  /** Band (keV). */
  e2: number;
  /**
   * Key of the observation (the "sky realisation"): detections depend on it,
   * not on the job seed, so images, spectra and light curves of the same
   * observation agree.
   */
  obsKey: string;
}

/**
 * All sources of the simulated sky in the field (catalogue sources plus the
 * occasional new transient), with measured significance. Filter with the
 * model's thresholds to get the image catalogue.
 *
 * @example
 * ```ts
 * import { detectSources, mosaicGeometry } from "./mosaic.ts";
 * import { ISGRI_IMAGING } from "./isgri.ts";
 * import { planScienceWindows } from "./observation.ts";
 * const scws = planScienceWindows({ ra: 83.63, dec: 22.01, T1: 58000, T2: 58001, max_pointings: 5 });
 * const g = mosaicGeometry(ISGRI_IMAGING, scws, 83.63, 22.01);
 * const sky = detectSources({ imaging: ISGRI_IMAGING, scws, geometry: g, e1: 20, e2: 40, obsKey: "demo" });
 * ```
 */
export function detectSources(o: DetectOptions): Detection[] {
  const { imaging, scws, geometry: g } = o;
  const det = imaging.detector;
  const variance = bandVariance(det, o.e1, o.e2);
  const halfDiag = Math.SQRT2 * (g.nx / 2) * g.pixelDeg;
  const sky: SkySource[] = [];
  for (const { source, meta_ID } of sourcesWithin(g.ra0, g.dec0, Math.min(halfDiag, 179))) {
    if (!isActive(source.name, scws)) continue; // a transient in quiescence
    sky.push({
      name: source.name,
      ra: source.ra,
      dec: source.dec,
      flux_mCrab: source.flux_mCrab,
      index: source.index,
      cutoff_keV: source.cutoff_keV,
      meta_ID,
      isNew: false,
      errRad: Math.fround(source.flux_mCrab > 100 ? 0.00028 : 0.00041666667675599456),
    });
  }
  // uncatalogued transients of the sandbox sky active now, then occasional new sources inside the fully
  // coded field of a random pointing
  let k = 0;
  for (const t of activeTransients(scws)) {
    if (angularSeparation(g.ra0, g.dec0, t.ra, t.dec) > Math.min(halfDiag, 179)) continue;
    k++;
    sky.push({
      name: `NEW_${k}`,
      ra: t.ra,
      dec: t.dec,
      flux_mCrab: t.flux_mCrab,
      index: t.index,
      meta_ID: BRIGHT_SOURCES.length + 1000 + k,
      isNew: true,
      errRad: null,
    });
  }
  const rngNew = new Rng(hashSeed(`new|${o.obsKey}`));
  const u = rngNew.uniform();
  const nNew = scws.length === 0 ? 0 : u < 0.3 ? 1 : u < 0.4 ? 2 : 0;
  for (let n = 1; n <= nNew; n++) {
    k++;
    const s = scws[rngNew.int(scws.length)];
    const dx = rngNew.range(-imaging.fov.full, imaging.fov.full);
    const dy = rngNew.range(-imaging.fov.full, imaging.fov.full);
    const [ra, dec] = tanDeproject(s.ra, s.dec, dx, dy);
    sky.push({
      name: `NEW_${k}`,
      ra,
      dec,
      flux_mCrab: rngNew.range(15, 80),
      index: rngNew.range(1.8, 2.6),
      meta_ID: BRIGHT_SOURCES.length + 1000 + k,
      isNew: true,
      errRad: null,
    });
  }
  const out: Detection[] = [];
  for (const s of sky) {
    const [x, y] = skyToPixel(g, s.ra, s.dec);
    if (!(x >= 0 && y >= 0 && x <= g.nx - 1 && y <= g.ny - 1)) continue;
    const exposure = exposureAt(scws, imaging.fov, s.ra, s.dec);
    if (exposure < 1) continue;
    const rate = sourceRate(det, s, o.e1, o.e2);
    const sigma = Math.sqrt((variance + rate) / exposure);
    const noise = new Rng(hashSeed(`detect|${o.obsKey}|${s.name}`)).normal();
    const significance = rate / sigma + noise;
    let { ra, dec } = s;
    if (s.isNew) {
      // fitted position of a new source: error ~ PSF / significance
      const r = new Rng(hashSeed(`pos|${o.obsKey}|${s.name}`));
      const err = (imaging.psfFwhmDeg / 2.3548) / Math.max(1, significance);
      dec += err * r.normal();
      ra += (err * r.normal()) / Math.cos((dec * Math.PI) / 180);
    }
    out.push({ ...s, ra, dec, significance, rate, exposure });
  }
  return out;
}

/**
 * The image catalogue: detections above the model's internal thresholds and
 * `detection_threshold`, most significant first.
 *
 * @example
 * ```ts ignore
 * const catalogue = catalogueOf(ISGRI_IMAGING, detections, 7);
 * ```
 */
export function catalogueOf(
  imaging: ImagingModel,
  detections: readonly Detection[],
  threshold: number,
): Detection[] {
  return detections
    .filter((d) =>
      d.significance >= Math.max(threshold, d.isNew ? imaging.newThreshold : imaging.knownThreshold)
    )
    .sort((a, b) => b.significance - a.significance);
}

/** Inputs of {@linkcode simulateMosaic}. */
export interface MosaicOptions {
  /** Imaging model. */
  imaging: ImagingModel;
  /** Science windows. */
  scws: readonly ScienceWindow[];
  /** Geometry. */
  geometry: MosaicGeometry;
  /** Band (keV). */
  e1: number;
  /** Band (keV). */
  e2: number;
  /** Sources to draw (with their true rates). */
  sources: readonly Detection[];
  /** Noise generator. */
  rng: Rng;
}

/**
 * Simulate the four maps. Cost: O(pixels) for the noise plus O(PSF box) per
 * source and O(FOV box) per science window.
 *
 * @example
 * ```ts ignore
 * const maps = simulateMosaic({ imaging, scws, geometry, e1: 20, e2: 40, sources, rng: new Rng(1) });
 * ```
 */
export function simulateMosaic(o: MosaicOptions): MosaicMaps {
  const { imaging, geometry: g } = o;
  const { nx, ny } = g;
  const npx = nx * ny;
  const exposure = new Float32Array(npx);
  const signal = new Float32Array(npx);
  const fov = imaging.fov;
  const ramp = fov.zero - fov.full;
  const zeroPx = fov.zero / g.pixelDeg;
  // exposure: separable (square) or radial (circle) response per science window
  const wx = new Float64Array(nx);
  const wy = new Float64Array(ny);
  for (const s of o.scws) {
    const [px, py] = skyToPixel(g, s.ra, s.dec);
    if (Number.isNaN(px)) continue;
    const x0 = Math.max(0, Math.floor(px - zeroPx));
    const x1 = Math.min(nx - 1, Math.ceil(px + zeroPx));
    const y0 = Math.max(0, Math.floor(py - zeroPx));
    const y1 = Math.min(ny - 1, Math.ceil(py + zeroPx));
    if (x0 > x1 || y0 > y1) continue;
    if (fov.shape === "square") {
      for (let x = x0; x <= x1; x++) {
        wx[x] = Math.min(1, Math.max(0, (fov.zero - Math.abs(x - px) * g.pixelDeg) / ramp));
      }
      for (let y = y0; y <= y1; y++) {
        wy[y] = s.livetime * Math.min(1, Math.max(0, (fov.zero - Math.abs(y - py) * g.pixelDeg) / ramp));
      }
      for (let y = y0; y <= y1; y++) {
        const w = wy[y];
        if (w === 0) continue;
        const row = y * nx;
        for (let x = x0; x <= x1; x++) exposure[row + x] += w * wx[x];
      }
    } else {
      for (let y = y0; y <= y1; y++) {
        const dy2 = (y - py) * (y - py);
        const row = y * nx;
        for (let x = x0; x <= x1; x++) {
          const r = Math.sqrt((x - px) * (x - px) + dy2) * g.pixelDeg;
          if (r < fov.zero) exposure[row + x] += s.livetime * Math.min(1, (fov.zero - r) / ramp);
        }
      }
    }
  }
  // point sources
  const sigPx = imaging.psfFwhmDeg / 2.3548 / g.pixelDeg;
  const box = Math.ceil(4 * sigPx) + 1;
  const inv2s2 = 1 / (2 * sigPx * sigPx);
  for (const s of o.sources) {
    const [sx, sy] = skyToPixel(g, s.ra, s.dec);
    if (Number.isNaN(sx)) continue;
    const cx = Math.round(sx);
    const cy = Math.round(sy);
    for (let y = Math.max(0, cy - box); y <= Math.min(ny - 1, cy + box); y++) {
      const dy2 = (y - sy) * (y - sy);
      const row = y * nx;
      for (let x = Math.max(0, cx - box); x <= Math.min(nx - 1, cx + box); x++) {
        signal[row + x] += s.rate * Math.exp(-((x - sx) * (x - sx) + dy2) * inv2s2);
      }
    }
  }
  // noise
  const bkgVar = bandVariance(imaging.detector, o.e1, o.e2);
  const intensity = new Float32Array(npx);
  const variance = new Float32Array(npx);
  const significance = new Float32Array(npx);
  const rng = o.rng;
  for (let i = 0; i < npx; i++) {
    const t = exposure[i];
    if (t < 1) {
      exposure[i] = 0;
      continue;
    }
    const sg = signal[i];
    const v = (bkgVar + (sg > 0 ? sg : 0)) / t;
    const sd = Math.sqrt(v);
    const val = sg + sd * rng.normal();
    intensity[i] = val;
    variance[i] = v;
    significance[i] = val / sd;
  }
  return { ...g, intensity, variance, significance, exposure };
}
