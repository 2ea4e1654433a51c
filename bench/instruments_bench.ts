/**
 * Simulated-instrument benchmark: a 2001×2001 ISGRI mosaic (simulation only,
 * then with pickle encoding), a 50-pointing isgri_image job, spectra, a
 * 1 s ISGRI light curve and a 0.05 s SPI-ACS light curve over 1 day.
 *
 * Usage: deno run -A bench/instruments_bench.ts
 *
 * @module
 */
import { ISGRI_IMAGING, ISGRI_SETUP } from "../lib/sandbox/instruments/isgri.ts";
import { observe } from "../lib/sandbox/instruments/integral.ts";
import { simulateImage } from "../lib/sandbox/instruments/image.ts";
import { simulateSpectra } from "../lib/sandbox/instruments/spectrum.ts";
import { simulateLightCurves } from "../lib/sandbox/instruments/lightcurve.ts";
import { mosaicGeometry, simulateMosaic } from "../lib/sandbox/instruments/mosaic.ts";
import { Rng } from "../lib/sandbox/instruments/rng.ts";
import { encodeProduct } from "../lib/sandbox/instruments/encode.ts";
import { simulateAcsLightCurve } from "../lib/sandbox/instruments/spi_acs.ts";

function time<T>(label: string, f: () => T, runs = 3): T {
  let out!: T;
  const ts: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    out = f();
    ts.push(performance.now() - t);
  }
  ts.sort((a, b) => a - b);
  console.log(`${label.padEnd(58)} median ${ts[Math.floor(ts.length / 2)].toFixed(1).padStart(8)} ms`);
  return out;
}

const gc = {
  RA: 265.97845833,
  DEC: -29.74516667,
  T1: "2017-03-01T00:00:00",
  T2: "2017-04-01T00:00:00",
  radius: 15,
};
const obs = observe(ISGRI_SETUP, { ...gc, max_pointings: 200, E1_keV: 20, E2_keV: 40 });
const big = mosaicGeometry(ISGRI_IMAGING, obs.scws, gc.RA, gc.DEC, 2001);
time("simulateMosaic 2001x2001, 200 ScW, GC sources", () =>
  simulateMosaic({
    imaging: ISGRI_IMAGING,
    scws: obs.scws,
    geometry: big,
    e1: 20,
    e2: 40,
    sources: obs.detections,
    rng: new Rng(1),
  }));
time("isgri_image 50 ScW (simulate + encode)", () => {
  const { product } = simulateImage(ISGRI_SETUP, { ...gc, max_pointings: 50 }, 1);
  return encodeProduct(product);
});
time(
  "isgri_spectrum GC field (simulate + encode)",
  () => simulateSpectra(ISGRI_SETUP, { ...gc, max_pointings: 50 }, 1).products.map((p) => encodeProduct(p)),
);
time(
  "isgri_lc time_bin=10 s, 50 ScW (simulate + encode)",
  () =>
    simulateLightCurves(ISGRI_SETUP, { ...gc, max_pointings: 50, time_bin: 10 }, 1).products.map(
      (p) => encodeProduct(p),
    ),
);
time(
  "spi_acs_lc 1 day at 0.05 s (1.7 M bins, simulate + encode)",
  () =>
    encodeProduct(
      simulateAcsLightCurve({ T1: "2022-07-01T00:00:00", T2: "2022-07-02T00:00:00", time_bin: 0.05 }, 1),
    ),
  1,
);
