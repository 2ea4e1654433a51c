/**
 * Where a streamed pickle's big payloads go (see `stream.ts`): a buffer of the payload's exact size (it becomes
 * the array), or, for a record array, 256 KiB blocks of records read straight into the final columns.
 *
 * @module
 */
import { DecodeError } from "../../errors.ts";
import { HOST_IS_LITTLE_ENDIAN, type Table, type TableColumn } from "../../data/ndarray.ts";
import { PickleObject } from "./vm.ts";
import { arrayFromPickleObject, type DTypeInfo } from "./numpy.ts";
import { Base64Source, LazyBytes } from "./lazy_bytes.ts";
import { DecodeBudget } from "../budget.ts";
import { read4x3 } from "../gather.ts";
import { gather, readF8, readF8s, readI4s, readU2s } from "./strided.ts";

/** Where a big payload's bytes go while they stream in. */
export interface PayloadSink {
  /** The area the next bytes go to (never empty while the payload is not complete). */
  room(): Uint8Array;
  /** `n` bytes were written at the start of {@linkcode room}; returns whether the payload is complete. */
  advance(n: number): boolean;
  /** What the VM gets for the payload. */
  readonly hole: Uint8Array | LazyBytes;
  /** Bytes received so far. */
  readonly filled: number;
}

/** The payload kept whole (it becomes the array's own buffer). */
export class BufferSink implements PayloadSink {
  filled = 0;
  #buf: Uint8Array;
  /**
   * A payload of `length` bytes, allocated whole up front when `length ≤ eager`, otherwise grown (doubling)
   * as the bytes really arrive, so that a declared length alone never allocates more than `eager`.
   */
  constructor(readonly length: number, eager: number) {
    this.#buf = new Uint8Array(Math.min(length, Math.max(eager, 4096)));
  }
  /** The payload's buffer: exactly `length` bytes once complete. */
  get hole(): Uint8Array {
    return this.#buf;
  }
  room(): Uint8Array {
    if (this.filled === this.#buf.length && this.#buf.length < this.length) {
      const bigger = new Uint8Array(Math.min(this.length, 2 * this.#buf.length));
      bigger.set(this.#buf);
      this.#buf = bigger;
    }
    return this.#buf.subarray(this.filled);
  }
  advance(n: number): boolean {
    this.filled += n;
    return this.filled === this.length;
  }
}

/**
 * A record array's payload, never kept: the records are gathered in blocks of whole rows, and each block
 * is converted by the ordinary converter (`arrayFromPickleObject` of a block-sized array of the same dtype)
 * and copied into the full columns. The VM gets a {@linkcode LazyBytes} stand-in whose `prebuilt` hands the
 * table to the converter when the payload is used as those records.
 */
export class RecordSink extends LazyBytes implements PayloadSink {
  #block: Uint8Array;
  #fill = 0;
  #row = 0;
  filled = 0;
  #columns: TableColumn[] | undefined;
  #table: Table | undefined;
  /** Columns read straight from the records into place (after the first block, when they agree with it). */
  #direct: DirectColumn[] | undefined;
  #triples: { le: boolean; offs: number[]; outs: Int32Array[] }[] | undefined;
  readonly hole: LazyBytes = this;
  constructor(
    length: number,
    readonly rows: number,
    readonly stride: number,
    readonly dtypeObject: unknown,
    readonly dtype: DTypeInfo,
    blockBytes: number,
  ) {
    super(new Base64Source(""), 0, length);
    const blockRows = Math.max(1, Math.floor(blockBytes / stride));
    this.#block = new Uint8Array(Math.min(rows, blockRows) * stride);
  }
  room(): Uint8Array {
    return this.#block.subarray(this.#fill);
  }
  advance(n: number): boolean {
    this.#fill += n;
    this.filled += n;
    if (this.#fill === this.#block.length) {
      this.#convert(this.#block);
      const left = (this.rows - this.#row) * this.stride;
      if (left > 0 && left < this.#block.length) this.#block = new Uint8Array(left);
      this.#fill = 0;
    }
    return this.#row === this.rows;
  }
  #convert(block: Uint8Array): void {
    const n = block.length / this.stride;
    if (this.#direct) {
      const dv = new DataView(block.buffer, block.byteOffset, block.byteLength);
      for (const g of this.#triples!) {
        read4x3(
          dv,
          this.stride,
          n,
          g.le,
          g.offs[0],
          g.offs[1],
          g.offs[2],
          g.outs[0],
          g.outs[1],
          g.outs[2],
          this.#row,
        );
      }
      for (const d of this.#direct) if (!d.grouped) readColumn(block, this.stride, n, this.#row, d);
      this.#row += n;
      return;
    }
    const o = new PickleObject("numpy.ndarray", []);
    o.state = [1, [n], this.dtypeObject, false, block];
    const t = arrayFromPickleObject(o, {
      inputLength: block.length,
      budget: DecodeBudget.of({}, block.length),
    });
    if (t.kind !== "table") throw new DecodeError("PICKLE", "record array block is not a table");
    const first = !this.#columns;
    if (!this.#columns) {
      this.#columns = t.columns.map((c) => {
        const per = c.values.length / n;
        const values = ArrayBuffer.isView(c.values)
          ? new (c.values.constructor as new (k: number) => typeof c.values)(this.rows * per)
          : new Array(this.rows * per);
        return { ...c, values };
      });
    }
    t.columns.forEach((c, k) => {
      const dst = this.#columns![k].values;
      const per = c.values.length / n;
      if (ArrayBuffer.isView(dst)) (dst as Uint8Array).set(c.values as Uint8Array, this.#row * per);
      else for (let i = 0; i < c.values.length; i++) (dst as unknown[])[this.#row * per + i] = c.values[i];
    });
    if (first) {
      this.#direct = directReaders(this.dtype, this.#columns!, t, block, this.stride, n);
      // scalar 4-byte columns of the same byte order, three at a time in one loop over the rows (the
      // light curve's RATE, ERROR, FRACEXP): about 2× faster than a loop per column
      this.#triples = [];
      const fours = (this.#direct ?? []).filter((d) => d.size === 4 && d.per === 1);
      for (const le of [true, false]) {
        const same = fours.filter((d) => !d.swap === le);
        for (let k = 0; k + 3 <= same.length; k += 3) {
          const trio = same.slice(k, k + 3);
          for (const d of trio) d.grouped = true;
          this.#triples.push({
            le,
            offs: trio.map((d) => d.offset),
            outs: trio.map((d) => new Int32Array(d.dst.buffer, d.dst.byteOffset, d.dst.byteLength >> 2)),
          });
        }
      }
    }
    this.#row += n;
  }

  override prebuilt(dt: DTypeInfo, rows: number): Table | undefined {
    if (dt !== this.dtype && !sameDType(dt, this.dtype)) return undefined;
    if (rows !== this.rows || this.#row !== this.rows || !this.#columns) return undefined;
    this.used = true;
    // a second use gets its own copy of the columns (as a second decode of the same bytes would)
    if (this.#table) {
      return {
        ...this.#table,
        columns: this.#table.columns.map((c) => ({ ...c, values: c.values.slice() as typeof c.values })),
      };
    }
    this.#table = { kind: "table", length: rows, columns: this.#columns };
    return { ...this.#table, columns: this.#columns.map((c) => ({ ...c })) };
  }
  override readInto(): void {
    throw new DecodeError("PICKLE", "streamed record array data used as plain bytes");
  }
  override validate(): void {}
  override materialize(): Uint8Array {
    throw new DecodeError("PICKLE", "streamed record array data used as plain bytes");
  }
}

/** A numeric column read straight from the records: `per` elements of `size` bytes at `offset` of a row. */
interface DirectColumn {
  offset: number;
  size: 1 | 2 | 4 | 8;
  per: number;
  swap: boolean;
  /** The whole column's bytes. */
  dst: Uint8Array;
  /** Read with two others in one loop. */
  grouped?: boolean;
  /** A float64 column (read as int32 pairs by `readF8`, as the ordinary converter does: every bit kept). */
  float?: boolean;
}

/** Copy the column's elements of `rows` records into its bytes from row `row0` on (bit exact). */
function readColumn(block: Uint8Array, stride: number, rows: number, row0: number, d: DirectColumn): void {
  const dv = new DataView(block.buffer, block.byteOffset, block.byteLength);
  const le = !d.swap;
  const { offset, per } = d;
  const count = rows * per;
  const at0 = row0 * per;
  const buf = d.dst.buffer;
  const at = d.dst.byteOffset + at0 * d.size;
  // one small function per element size (shared with strided.ts): each stays monomorphic, optimised early
  switch (d.size) {
    case 1:
      return gather(block, offset, stride, rows, per, d.dst.subarray(at0, at0 + count));
    case 2:
      return readU2s(dv, offset, stride, rows, per, le, new Uint16Array(buf, at, count));
    case 4:
      if (per === 1) return readCol4(dv, offset, stride, rows, le, new Int32Array(buf, at, count));
      return readI4s(dv, offset, stride, rows, per, le, new Int32Array(buf, at, count));
    case 8:
      // float64 scalars: one load each, as the ordinary converter reads them (strided.ts `readF8`)
      if (per === 1 && d.float) return readF8(dv, offset, stride, rows, le, new Float64Array(buf, at, count));
      // other 8-byte elements as int32 pairs, every bit kept (the float64 reader copies words, not values)
      return readF8s(dv, offset, stride, rows, per, le, new Float64Array(buf, at, count));
  }
}

function readCol4(dv: DataView, off: number, stride: number, rows: number, le: boolean, out: Int32Array) {
  for (let r = 0, o = off; r < rows; r++, o += stride) out[r] = dv.getInt32(o, le);
}

/**
 * Direct readers for every column when each is a top-level field of fixed-size numeric elements and reading
 * the first block directly gives exactly what the converter gave; undefined otherwise (blocks then go
 * through the converter).
 */
function directReaders(
  dt: DTypeInfo,
  columns: TableColumn[],
  first: Table,
  block: Uint8Array,
  stride: number,
  rows: number,
): DirectColumn[] | undefined {
  if (!HOST_IS_LITTLE_ENDIAN || !dt.fields || dt.fields.length !== columns.length) return undefined;
  const out: DirectColumn[] = [];
  for (let k = 0; k < columns.length; k++) {
    const f = dt.fields[k];
    const col = columns[k];
    if (f.name !== col.name || f.dtype.fields || !ArrayBuffer.isView(col.values)) return undefined;
    const elem = f.dtype.subarray?.base ?? f.dtype;
    if (elem.fields || elem.subarray || !"fiub".includes(elem.simple.kind)) return undefined;
    const size = elem.itemsize;
    const values = col.values as unknown as Uint8Array;
    if ((size !== 1 && size !== 2 && size !== 4 && size !== 8) || values.BYTES_PER_ELEMENT !== size) {
      return undefined;
    }
    const per = (first.columns[k].values as unknown as Uint8Array).length / first.length;
    const d: DirectColumn = {
      offset: f.offset,
      size,
      per,
      swap: elem.typestr.startsWith(">"),
      dst: new Uint8Array(values.buffer, values.byteOffset, values.byteLength),
      float: elem.simple.kind === "f" && size === 8 && values instanceof Float64Array,
    };
    // the first block, read directly, must equal the converter's
    const got = new Uint8Array(rows * per * size);
    readColumn(block, stride, rows, 0, { ...d, dst: got });
    const want = first.columns[k].values as unknown as Uint8Array;
    const wantBytes = new Uint8Array(want.buffer, want.byteOffset, want.byteLength);
    if (got.length !== wantBytes.length) return undefined;
    for (let i = 0; i < got.length; i++) if (got[i] !== wantBytes[i]) return undefined;
    out.push(d);
  }
  return out;
}

function sameDType(a: DTypeInfo, b: DTypeInfo): boolean {
  return a.typestr === b.typestr && a.itemsize === b.itemsize &&
    JSON.stringify(a.fields ?? null, dtypeReplacer) === JSON.stringify(b.fields ?? null, dtypeReplacer);
}
function dtypeReplacer(_k: string, v: unknown): unknown {
  return v instanceof Map ? [...v.entries()] : v;
}
