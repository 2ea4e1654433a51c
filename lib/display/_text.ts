/**
 * Text measurement for the static plots: advance widths of DejaVu Sans (the font the PNGs are rasterised
 * with, `FONT_CANDIDATES`), read from the font's `hmtx` table for printable ASCII and a few symbols the
 * plots use; any other character counts as 1 em, so a label is never measured shorter than it renders.
 * Used to wrap legend labels and keep them inside the picture.
 *
 * @module
 */

/** Advance widths (1/1000 em) of U+0020…U+007E in DejaVu Sans. */
const ASCII = [
  318,
  401,
  460,
  838,
  636,
  950,
  780,
  275,
  390,
  390,
  500,
  838,
  318,
  361,
  318,
  337,
  636,
  636,
  636,
  636,
  636,
  636,
  636,
  636,
  636,
  636,
  337,
  337,
  838,
  838,
  838,
  531,
  1000,
  684,
  686,
  698,
  770,
  632,
  575,
  775,
  752,
  295,
  295,
  656,
  557,
  863,
  748,
  787,
  603,
  787,
  695,
  635,
  611,
  732,
  684,
  989,
  685,
  611,
  685,
  390,
  337,
  390,
  838,
  500,
  500,
  613,
  635,
  550,
  635,
  615,
  352,
  635,
  634,
  278,
  278,
  579,
  278,
  974,
  634,
  612,
  635,
  635,
  411,
  521,
  392,
  634,
  592,
  818,
  592,
  592,
  525,
  636,
  337,
  636,
  838,
];
/** A few non-ASCII symbols of the plots' labels (DejaVu Sans, 1/1000 em). */
const SYMBOLS: Record<string, number> = {
  "σ": 634,
  "±": 838,
  "–": 500,
  "×": 838,
  "²": 401,
  "≥": 838,
  "≤": 838,
  "−": 838,
  "χ": 578,
  "·": 318,
  "°": 500,
};

/** Estimated rendered width (px) of `text` at `fontSize` px in DejaVu Sans (regular); never too short. */
export function textWidth(text: string, fontSize = 11): number {
  let w = 0;
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    w += c >= 32 && c <= 126 ? ASCII[c - 32] : SYMBOLS[ch] ?? 1000;
  }
  return (w / 1000) * fontSize;
}

/**
 * `text` broken at spaces into lines of at most `width` px (a word longer than a line is cut with a
 * hyphen-free break, so no line is wider than `width`).
 */
export function wrapText(text: string, width: number, fontSize = 11): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    const next = line ? `${line} ${word}` : word;
    if (textWidth(next, fontSize) <= width) {
      line = next;
      continue;
    }
    if (line) lines.push(line);
    line = "";
    let rest = word;
    while (textWidth(rest, fontSize) > width) {
      let k = 1;
      const chars = [...rest];
      while (k < chars.length && textWidth(chars.slice(0, k + 1).join(""), fontSize) <= width) k++;
      lines.push(chars.slice(0, k).join(""));
      rest = chars.slice(k).join("");
    }
    line = rest;
  }
  if (line || !lines.length) lines.push(line);
  return lines;
}
