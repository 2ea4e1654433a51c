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
/** Advance widths (1/1000 em) of U+0020…U+007E in DejaVu Sans Bold (titles). */
const ASCII_BOLD = [
  348,
  456,
  521,
  838,
  696,
  1002,
  872,
  306,
  457,
  457,
  523,
  838,
  380,
  415,
  380,
  365,
  696,
  696,
  696,
  696,
  696,
  696,
  696,
  696,
  696,
  696,
  400,
  400,
  838,
  838,
  838,
  580,
  1000,
  774,
  762,
  734,
  830,
  683,
  683,
  821,
  837,
  372,
  372,
  775,
  637,
  995,
  837,
  850,
  733,
  850,
  770,
  720,
  682,
  812,
  774,
  1103,
  771,
  724,
  725,
  457,
  365,
  457,
  838,
  500,
  500,
  675,
  716,
  593,
  716,
  678,
  435,
  716,
  712,
  343,
  343,
  665,
  343,
  1042,
  712,
  687,
  716,
  716,
  493,
  595,
  478,
  712,
  652,
  924,
  645,
  652,
  582,
  712,
  365,
  712,
  838,
];
/** Bold widths of the symbols that differ from the regular face. */
const SYMBOLS_BOLD: Record<string, number> = { "σ": 779, "²": 438, "χ": 645, "·": 380 };
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

/** Estimated rendered width (px) of `text` at `fontSize` px in DejaVu Sans (regular or bold); never too short. */
export function textWidth(text: string, fontSize = 11, bold = false): number {
  const ascii = bold ? ASCII_BOLD : ASCII;
  let w = 0;
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    w += c >= 32 && c <= 126 ? ascii[c - 32] : (bold ? SYMBOLS_BOLD[ch] : undefined) ?? SYMBOLS[ch] ?? 1000;
  }
  return (w / 1000) * fontSize;
}

/**
 * `text` broken at spaces into lines of at most `width` px (a word longer than a line is cut with a
 * hyphen-free break, so no line is wider than `width`).
 */
export function wrapText(text: string, width: number, fontSize = 11, bold = false): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    const next = line ? `${line} ${word}` : word;
    if (textWidth(next, fontSize, bold) <= width) {
      line = next;
      continue;
    }
    if (line) lines.push(line);
    line = "";
    let rest = word;
    while (textWidth(rest, fontSize, bold) > width) {
      let k = 1;
      const chars = [...rest];
      while (k < chars.length && textWidth(chars.slice(0, k + 1).join(""), fontSize, bold) <= width) k++;
      lines.push(chars.slice(0, k).join(""));
      rest = chars.slice(k).join("");
    }
    line = rest;
  }
  if (line || !lines.length) lines.push(line);
  return lines;
}

/**
 * A Vega-Lite title (Vega's defaults: a 13 px bold title over a 10 px subtitle) wrapped to `width` px like
 * the static picture's: Vega never wraps a title, it widens the view to fit it. A title that fits stays a
 * plain string; a longer one becomes an array of lines.
 */
export function vegaTitle(
  text: string,
  width: number,
  subtitle?: string,
): string | string[] | Record<string, unknown> {
  const lines = (s: string, size: number, bold: boolean) => {
    const l = wrapText(s, width, size, bold);
    return l.length > 1 ? l : s;
  };
  const t = lines(text, 13, true);
  return subtitle === undefined ? t : { text: t, subtitle: lines(subtitle, 10, false) };
}
