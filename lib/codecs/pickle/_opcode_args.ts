/**
 * The argument layout of every pickle opcode (protocols 0–5), shared by the pickle walkers that skip or
 * stream opcodes without running them: a fixed byte count, or one of the markers below.
 *
 * @module
 */

/** One newline-terminated argument. */
export const LINE = -1;
/** Two newline-terminated arguments (GLOBAL, INST). */
export const LINE2 = -2;
/** A 1-byte length, then the payload. */
export const LEN1 = -3;
/** A 4-byte length, then the payload. */
export const LEN4 = -4;
/** An 8-byte length, then the payload. */
export const LEN8 = -5;
/** An opcode this table does not know. */
export const UNKNOWN = -100;

/** Argument layout by opcode byte: a byte count (0, 1, 2, 4, 8) or one of the markers above. */
export const ARG: Int8Array = (() => {
  const a = new Int8Array(256).fill(UNKNOWN);
  const set = (chars: string, v: number) => {
    for (const c of chars) a[c.charCodeAt(0)] = v;
  };
  set("(.012NQRabd}el]ost)u", 0); // MARK STOP POP POP_MARK DUP NONE BINPERSID REDUCE APPEND BUILD DICT ...
  set("FILPSVgp", LINE);
  set("ci", LINE2);
  set("Khq", 1);
  set("M", 2);
  set("Jjr", 4);
  set("G", 8);
  set("UC", LEN1);
  set("TXB", LEN4);
  a[0x80] = 1; // PROTO
  a[0x81] = 0; // NEWOBJ
  a[0x82] = 1; // EXT1
  a[0x83] = 2; // EXT2
  a[0x84] = 4; // EXT4
  for (const op of [0x85, 0x86, 0x87, 0x88, 0x89]) a[op] = 0; // TUPLE1-3 NEWTRUE NEWFALSE
  a[0x8a] = LEN1; // LONG1
  a[0x8b] = LEN4; // LONG4
  a[0x8c] = LEN1; // SHORT_BINUNICODE
  a[0x8d] = LEN8; // BINUNICODE8
  a[0x8e] = LEN8; // BINBYTES8
  for (const op of [0x8f, 0x90, 0x91, 0x92, 0x93, 0x94]) a[op] = 0; // EMPTY_SET .. MEMOIZE
  a[0x95] = 8; // FRAME
  a[0x96] = LEN8; // BYTEARRAY8
  a[0x97] = 0; // NEXT_BUFFER
  a[0x98] = 0; // READONLY_BUFFER
  return a;
})();
