/**
 * Label placement for pictures: text next to marked points, overlapping
 * neither each other nor the markers.
 *
 * @module
 */

/**
 * A label box (px): left, top, right, bottom.
 *
 * @example
 * ```ts
 * import type { LabelBox } from "@oda-hub/oda-api/display";
 * const b: LabelBox = { x0: 10, y0: 20, x1: 90, y1: 33 };
 * ```
 */
export interface LabelBox {
  /** Left. */
  x0: number;
  /** Top. */
  y0: number;
  /** Right. */
  x1: number;
  /** Bottom. */
  y1: number;
}

/**
 * Place text labels next to marked points (11 px bold text, 9 px circles)
 * so that labels overlap neither each other nor the circles, and stay inside
 * `bounds`: the most significant first, each at the first free position of
 * eight around its point, else where it overlaps least.
 *
 * @example
 * ```ts
 * import { placeLabels } from "@oda-hub/oda-api/display";
 * const [a, b] = placeLabels(
 *   [{ x: 100, y: 100, text: "GX 5-1", priority: 30 }, { x: 104, y: 106, text: "GX 1+4", priority: 20 }],
 *   { x0: 0, y0: 0, x1: 400, y1: 400 },
 * );
 * console.log(a.y1 <= b.y0 || b.y1 <= a.y0 || a.x1 <= b.x0 || b.x1 <= a.x0); // true: no overlap
 * ```
 */
export function placeLabels(
  points: { x: number; y: number; text: string; priority?: number }[],
  bounds: LabelBox,
): LabelBox[] {
  const CHAR = 7.2, H = 14, R = 10;
  const out: LabelBox[] = new Array(points.length);
  const taken: LabelBox[] = points.map((p) => ({ x0: p.x - R, y0: p.y - R, x1: p.x + R, y1: p.y + R }));
  const overlap = (a: LabelBox, b: LabelBox) =>
    Math.max(0, Math.min(a.x1, b.x1) - Math.max(a.x0, b.x0)) *
    Math.max(0, Math.min(a.y1, b.y1) - Math.max(a.y0, b.y0));
  const order = points.map((_, i) => i).sort((a, b) => (points[b].priority ?? 0) - (points[a].priority ?? 0));
  for (const i of order) {
    const p = points[i];
    const w = p.text.length * CHAR;
    const cands: LabelBox[] = [
      [R + 2, -R - H + 4], // right, above
      [R + 2, R - 4], // right, below
      [-R - 2 - w, -R - H + 4], // left, above
      [-R - 2 - w, R - 4], // left, below
      [-w / 2, -R - H - 1], // above
      [-w / 2, R + 1], // below
      [R + 2, -H / 2], // right
      [-R - 2 - w, -H / 2], // left
    ].map(([dx, dy]) => ({ x0: p.x + dx, y0: p.y + dy, x1: p.x + dx + w, y1: p.y + dy + H }));
    let best = cands[0], bestCost = Infinity;
    for (const c of cands) {
      const outside = Math.max(0, bounds.x0 - c.x0) + Math.max(0, c.x1 - bounds.x1) +
        Math.max(0, bounds.y0 - c.y0) + Math.max(0, c.y1 - bounds.y1);
      let cost = outside * H * 4;
      for (const t of taken) cost += overlap(c, t);
      if (cost < bestCost) (best = c), (bestCost = cost);
      if (cost === 0) break;
    }
    out[i] = best;
    taken.push(best);
  }
  return out;
}
