/** extractCatalog matches objects of interest to NEW sources by great-circle separation (RA wrap, poles). */
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { ApiCatalog, extractCatalog } from "../mod.ts";

function catalog(ra: number[], dec: number[]): ApiCatalog {
  const n = ra.length;
  return new ApiCatalog({
    cat_column_list: [
      Array.from({ length: n }, (_, i) => i),
      Array.from({ length: n }, (_, i) => `NEW_${i + 1}`),
      Array.from({ length: n }, () => 12),
      ra,
      dec,
      Array.from({ length: n }, () => 1),
    ],
    cat_column_names: ["meta_ID", "src_names", "significance", "ra", "dec", "NEW_SOURCE"],
    cat_column_descr: [["meta_ID", "<i8"], ["src_names", "<U6"], ["significance", "<f8"], ["ra", "<f8"], [
      "dec",
      "<f8",
    ], ["NEW_SOURCE", "<i8"]],
    cat_lat_name: "dec",
    cat_lon_name: "ra",
    cat_coord_units: "deg",
    cat_frame: "fk5",
  }, "catalog");
}

function names(c: ApiCatalog): string[] {
  return c.table.column("src_names").map(String);
}

Deno.test("extractCatalog: objects of interest matched across RA 0/360 and near the pole, not by a box", () => {
  // 0.008° apart across RA 0 (a per-coordinate box sees 359.99°), and 0.014° apart near the pole (RA differs by 90°)
  const cat = catalog([359.995, 0, 120], [0, 89.99, 10]);
  const out = extractCatalog(cat, {
    det_sigma: 5,
    include_new: true,
    objects_of_interest: [
      { name: "Wrap X-1", ra: 0.003, dec: 0 },
      { name: "Pole X-1", ra: 90, dec: 89.99 },
      // 0.8' in RA at dec 60 is 0.4' on the sky: inside; 0.5° away in dec: outside (added as a new row)
      { name: "Far X-1", ra: 120, dec: 10.5 },
    ],
  });
  assertEquals(names(out).slice(0, 3), ["Wrap X-1", "Pole X-1", "NEW_3"]);
  assertEquals(names(out).includes("Far X-1"), true);
});

Deno.test("extractCatalog keeps a catalog of 200 000 sources (the src_names width is found without a spread)", () => {
  // Math.max(1, ...widths) overflowed the stack past ~120 000 rows: a RangeError out of a public function
  const n = 200_000;
  const ra = Array.from({ length: n }, (_, i) => (i * 0.0017) % 360);
  const dec = Array.from({ length: n }, (_, i) => ((i * 0.0013) % 170) - 85);
  const out = extractCatalog(catalog(ra, dec), { include_new: true });
  assertEquals(out.table.length, n);
  assertEquals(out.table.columns.find((c) => c.name === "src_names")?.dtype, `<U${`NEW_${n}`.length}`);
});
