/**
 * The netascii transfer mode (RFC 1350 §5, Telnet NVT ASCII as in RFC 764 and RFC 854).
 *
 * On the wire every line ends in CR LF and a CR that is not part of a line end is sent as
 * CR NUL. Sending therefore maps LF to CR LF and CR to CR NUL; receiving maps CR LF back to LF
 * and CR NUL back to CR. Because CR is always escaped, the two directions are exact inverses:
 * decoding an encoding gives back every byte, including a CR LF already present in a local
 * file (`\r\n` is sent as `\r\0\r\n`).
 *
 * A CR at the end of one DATA block pairs with the first byte of the next block, so the
 * decoder holds such a CR until it sees that byte (or until {@linkcode NetasciiDecoder.flush}).
 * A CR followed by any other byte is not valid NVT; the decoder keeps the CR and carries on.
 *
 * Both codecs return their input array unchanged when there is nothing to convert, so callers
 * must not modify a chunk after handing it over if they still need the output.
 *
 * @module
 */

const CR = 0x0d;
const LF = 0x0a;
const NUL = 0x00;

const EMPTY = new Uint8Array(0);

/**
 * Converts local bytes to netascii wire bytes: LF becomes CR LF and CR becomes CR NUL.
 *
 * Each byte converts on its own, so the encoder keeps no state between chunks; it is a class
 * (with a {@linkcode NetasciiEncoder.flush} that always returns no bytes) to mirror
 * {@linkcode NetasciiDecoder}.
 *
 * @example Encode a line end and a bare CR
 * ```ts
 * import assert from "node:assert/strict";
 * import { NetasciiEncoder } from "./netascii.ts";
 *
 * const encoder = new NetasciiEncoder();
 * const wire = encoder.encode(new TextEncoder().encode("a\nb\r"));
 * assert.ok(wire.join(",") === "97,13,10,98,13,0");
 * assert.ok(encoder.flush().length === 0);
 * ```
 */
export class NetasciiEncoder {
  /**
   * Encodes one chunk.
   *
   * When the chunk contains no CR and no LF the result is `chunk` itself, not a copy.
   *
   * @param chunk Local bytes.
   * @returns The wire bytes for `chunk`.
   */
  encode(chunk: Uint8Array): Uint8Array {
    if (chunk.indexOf(CR) === -1 && chunk.indexOf(LF) === -1) return chunk;
    let extra = 0;
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i];
      if (byte === CR || byte === LF) extra++;
    }
    const out = new Uint8Array(chunk.length + extra);
    let at = 0;
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i];
      if (byte === LF) {
        out[at++] = CR;
        out[at++] = LF;
      } else if (byte === CR) {
        out[at++] = CR;
        out[at++] = NUL;
      } else {
        out[at++] = byte;
      }
    }
    return out;
  }

  /**
   * Ends the input. The encoder holds nothing back, so this always returns no bytes.
   *
   * @returns An empty array.
   */
  flush(): Uint8Array {
    return EMPTY;
  }
}

/**
 * Converts netascii wire bytes to local bytes: CR LF becomes LF and CR NUL becomes CR.
 *
 * A CR at the end of a chunk is held back until the next chunk shows what follows it, so
 * conversion works across DATA block boundaries. A CR followed by any byte other than LF or
 * NUL is kept as it is, followed by that byte (lenient). {@linkcode NetasciiDecoder.flush}
 * releases a held CR as a CR and resets the decoder for a new transfer.
 *
 * @example Decode a CR LF split across two blocks
 * ```ts
 * import assert from "node:assert/strict";
 * import { NetasciiDecoder } from "./netascii.ts";
 *
 * const decoder = new NetasciiDecoder();
 * const first = decoder.decode(new Uint8Array([97, 13])); // "a\r"
 * const second = decoder.decode(new Uint8Array([10, 98])); // "\nb"
 * assert.ok(first.join(",") === "97");
 * assert.ok(second.join(",") === "10,98");
 * assert.ok(decoder.flush().length === 0);
 * ```
 */
export class NetasciiDecoder {
  #heldCr = false;

  /**
   * Decodes one chunk, holding back a final CR until the next chunk or
   * {@linkcode NetasciiDecoder.flush}.
   *
   * When no CR is held and the chunk contains no CR the result is `chunk` itself, not a copy.
   *
   * @param chunk Wire bytes.
   * @returns The local bytes decoded so far.
   */
  decode(chunk: Uint8Array): Uint8Array {
    if (!this.#heldCr && chunk.indexOf(CR) === -1) return chunk;

    // Pass 1: count the output bytes.
    let size = 0;
    let held = this.#heldCr;
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i];
      if (held) {
        held = false;
        size++; // CR LF -> LF, CR NUL -> CR, or the kept CR of an invalid pair
        if (byte === LF || byte === NUL) continue;
      }
      if (byte === CR) held = true;
      else size++;
    }

    // Pass 2: fill, following the same rules.
    const out = new Uint8Array(size);
    let at = 0;
    held = this.#heldCr;
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i];
      if (held) {
        held = false;
        if (byte === LF) {
          out[at++] = LF;
          continue;
        }
        out[at++] = CR;
        if (byte === NUL) continue;
      }
      if (byte === CR) held = true;
      else out[at++] = byte;
    }
    this.#heldCr = held;
    return out;
  }

  /**
   * Ends the input: a held CR is returned as a CR, and the decoder is ready for new input.
   *
   * @returns `[13]` if a CR was held, otherwise an empty array.
   */
  flush(): Uint8Array {
    if (!this.#heldCr) return EMPTY;
    this.#heldCr = false;
    return Uint8Array.of(CR);
  }
}

/**
 * A stream that encodes local bytes to netascii with a {@linkcode NetasciiEncoder}.
 *
 * Chunks that need no conversion are passed through as the same arrays; empty results are
 * not enqueued.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { netasciiEncodeStream } from "./netascii.ts";
 *
 * const input = ReadableStream.from([new TextEncoder().encode("hi\n")]);
 * const chunks = await Array.fromAsync(input.pipeThrough(netasciiEncodeStream()));
 * assert.ok(chunks.length === 1 && chunks[0].join(",") === "104,105,13,10");
 * ```
 *
 * @returns A transform from local bytes to wire bytes.
 */
export function netasciiEncodeStream(): TransformStream<Uint8Array, Uint8Array> {
  const encoder = new NetasciiEncoder();
  return new TransformStream({
    transform(chunk, controller) {
      const out = encoder.encode(chunk);
      if (out.length > 0) controller.enqueue(out);
    },
  });
}

/**
 * A stream that decodes netascii to local bytes with a {@linkcode NetasciiDecoder}; a CR held
 * at the end of the input is emitted as a CR.
 *
 * Chunks that need no conversion are passed through as the same arrays; empty results are
 * not enqueued.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { netasciiDecodeStream } from "./netascii.ts";
 *
 * const input = ReadableStream.from([new Uint8Array([104, 13]), new Uint8Array([10])]);
 * const chunks = await Array.fromAsync(input.pipeThrough(netasciiDecodeStream()));
 * assert.ok(chunks.map((c) => c.join(",")).join("|") === "104|10");
 * ```
 *
 * @returns A transform from wire bytes to local bytes.
 */
export function netasciiDecodeStream(): TransformStream<Uint8Array, Uint8Array> {
  const decoder = new NetasciiDecoder();
  return new TransformStream({
    transform(chunk, controller) {
      const out = decoder.decode(chunk);
      if (out.length > 0) controller.enqueue(out);
    },
    flush(controller) {
      const out = decoder.flush();
      if (out.length > 0) controller.enqueue(out);
    },
  });
}
