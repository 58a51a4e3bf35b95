/**
 * A bounded tail of a process's stderr. Owns nothing but bytes: it keeps at most `maxBytes` of the
 * most recent output, whatever rate the process writes at, so a server flooding stderr cannot grow
 * the host's memory.
 */

/** Keeps the last `maxBytes` bytes written to it. */
export class StderrTail {
  readonly #maxBytes: number;
  #chunks: Buffer[] = [];
  #size = 0;

  constructor(maxBytes: number) {
    this.#maxBytes = Math.max(1, maxBytes);
  }

  /** Appends a chunk, dropping the oldest bytes beyond the bound (amortised O(1) per byte). */
  push(chunk: Buffer): void {
    if (chunk.length >= this.#maxBytes) {
      this.#chunks = [chunk.subarray(chunk.length - this.#maxBytes)];
      this.#size = this.#maxBytes;
      return;
    }
    this.#chunks.push(chunk);
    this.#size += chunk.length;
    // Compact only when twice over, so a flood costs one copy per `maxBytes` written.
    if (this.#size > 2 * this.#maxBytes) this.#compact();
  }

  #compact(): void {
    const all = Buffer.concat(this.#chunks, this.#size);
    const kept = all.subarray(all.length - this.#maxBytes);
    this.#chunks = [kept];
    this.#size = kept.length;
  }

  /** The retained text, starting at a line boundary when the head was cut. */
  text(): string {
    if (this.#size > this.#maxBytes) this.#compact();
    const text = Buffer.concat(this.#chunks, this.#size).toString('utf8');
    return text.trimEnd();
  }

  /** The last `n` lines of the retained text. */
  lastLines(n: number): string {
    const lines = this.text().split('\n');
    return lines.slice(Math.max(0, lines.length - n)).join('\n');
  }
}
