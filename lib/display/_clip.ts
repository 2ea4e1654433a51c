/**
 * Vega-Lite layers clipped to the plot area: with zoom and pan bound to the scales, marks outside the
 * window would otherwise be drawn over the axes and titles. (The static pictures clip their series too.)
 *
 * @module
 */

/** `layers` with `clip: true` on every mark (a string mark becomes `{ type, clip }`). */
export function clipMarks<T extends Record<string, unknown>>(layers: T[]): T[] {
  return layers.map((l) => {
    const m = l.mark;
    if (m === undefined) return l;
    return { ...l, mark: typeof m === "string" ? { type: m, clip: true } : { ...(m as object), clip: true } };
  });
}
