/**
 * A compact set of strings by 64-bit fingerprint: 8 bytes per entry (16 MB for a million member
 * IDs at most), so an import can remember every member ID of the file — to refuse duplicates
 * and to find records missing from the file — without holding the IDs themselves.
 *
 * Two different IDs share a fingerprint with probability about n²/2⁶⁵ (≈ 3·10⁻⁸ for a million
 * IDs); the consequence would be a false "duplicate" reject (reported) or a record that
 * `--delete-missing` keeps (the safe direction).
 */
export class FingerprintSet {
  private hi: Uint32Array;
  private lo: Uint32Array;
  private mask: number;
  private count = 0;

  constructor(initialCapacity = 1 << 16) {
    let capacity = 1 << 4;
    while (capacity < initialCapacity) capacity <<= 1;
    this.hi = new Uint32Array(capacity);
    this.lo = new Uint32Array(capacity);
    this.mask = capacity - 1;
  }

  get size(): number {
    return this.count;
  }

  has(value: string): boolean {
    fingerprint(value);
    const h = fp[0]!;
    const l = fp[1]!;
    for (let i = l & this.mask; ; i = (i + 1) & this.mask) {
      if (this.hi[i] === 0 && this.lo[i] === 0) return false;
      if (this.hi[i] === h && this.lo[i] === l) return true;
    }
  }

  /** Adds `value`; returns false when it (or its fingerprint) was already there. */
  add(value: string): boolean {
    if ((this.count + 1) * 2 > this.hi.length) this.grow();
    fingerprint(value);
    return this.insert(fp[0]!, fp[1]!);
  }

  private insert(h: number, l: number): boolean {
    for (let i = l & this.mask; ; i = (i + 1) & this.mask) {
      if (this.hi[i] === 0 && this.lo[i] === 0) {
        this.hi[i] = h;
        this.lo[i] = l;
        this.count++;
        return true;
      }
      if (this.hi[i] === h && this.lo[i] === l) return false;
    }
  }

  private grow(): void {
    const { hi, lo } = this;
    this.hi = new Uint32Array(hi.length * 2);
    this.lo = new Uint32Array(lo.length * 2);
    this.mask = this.hi.length - 1;
    this.count = 0;
    for (let i = 0; i < hi.length; i++) {
      if (hi[i] !== 0 || lo[i] !== 0) this.insert(hi[i]!, lo[i]!);
    }
  }
}

/** Output of {@link fingerprint} (reused: no allocation per call). */
const fp = new Uint32Array(2);

/** Two independent 32-bit hashes (FNV-1a and a Murmur-style mix, each finalized with fmix32), into {@link fp}. */
function fingerprint(value: string): void {
  let a = 0x811c9dc5;
  let b = 0x9747b28c;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 13;
  }
  a = fmix32(a ^ value.length);
  b = fmix32(b ^ Math.imul(value.length, 0x9e3779b1));
  if (a === 0 && b === 0) b = 1; // (0, 0) marks an empty slot
  fp[0] = a;
  fp[1] = b;
}

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
