/**
 * One input (stdin lines, say) handed to a series of consumers, one after another, without
 * losing a line between them and without reading ahead more than one item.
 *
 * @module
 */

const DETACHED = Symbol("detached");

/**
 * Wraps an async iterable so that successive {@linkcode SharedInput.view}s read it in turn.
 * At most one `next()` of the source is pending at any time; its result belongs to whichever
 * view takes it next. Leaving a view with `return()` ends that view at once, even while a
 * read is pending, and the source stays open for the next view.
 */
export class SharedInput {
  #source: AsyncIterator<string>;
  #pending: Promise<IteratorResult<string>> | undefined;
  #ended = false;
  /** Resolved (and replaced) each time a view takes a line. */
  #taken = Promise.withResolvers<void>();

  /** Wraps `input`; nothing is read before a view or {@linkcode SharedInput.ended} asks. */
  constructor(input: AsyncIterable<string>) {
    this.#source = input[Symbol.asyncIterator]();
  }

  /** The next result, read once and kept until a view takes it. */
  #peek(): Promise<IteratorResult<string>> {
    this.#pending ??= this.#source.next().then((result) => {
      if (result.done) this.#ended = true;
      return result;
    });
    return this.#pending;
  }

  /** Resolves when the source has ended (or failed); reads at most one item ahead. */
  async ended(): Promise<void> {
    for (;;) {
      let result: IteratorResult<string>;
      try {
        result = await this.#peek();
      } catch {
        return;
      }
      if (result.done) return;
      // A line waits for the next view; wait until a view takes it, then look again.
      const pending = this.#pending;
      while (this.#pending === pending && !this.#ended) await this.#taken.promise;
    }
  }

  /** A fresh iterable over the rest of the input; end it with `return()`. */
  view(): AsyncIterableIterator<string> {
    let detached = false;
    const { promise: detach, resolve } = Promise.withResolvers<typeof DETACHED>();
    const done = (): IteratorResult<string> => ({ done: true, value: undefined });
    const view: AsyncIterableIterator<string> = {
      next: async () => {
        if (detached) return done();
        const result = await Promise.race([this.#peek(), detach]);
        if (result === DETACHED || detached) return done();
        if (!result.done) {
          this.#pending = undefined;
          const taken = this.#taken;
          this.#taken = Promise.withResolvers<void>();
          taken.resolve();
        }
        return result;
      },
      return: () => {
        detached = true;
        resolve(DETACHED);
        return Promise.resolve(done());
      },
      [Symbol.asyncIterator]: () => view,
    };
    return view;
  }
}
