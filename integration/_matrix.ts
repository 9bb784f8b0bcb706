/**
 * The interoperability matrix: runs each (peer, case) cell as a test step, records pass,
 * fail, skip (the peer is not installed) or expected failure (a known bug of the peer,
 * with the reason), and prints one table at the end of the file.
 *
 * An expected failure that passes is reported as "fixed?" and fails the step, so the record
 * of a peer's bug stays honest; a case that fails for any other reason fails the step.
 *
 * @module
 */

/** How one cell ended. */
export type CellStatus = "pass" | "FAIL" | "skip" | "xfail" | "fixed?";

/** One cell of the table. */
export interface Cell {
  /** The peer, e.g. `tftpd-hpa server` or `busybox client`. */
  readonly peer: string;
  /** The case, e.g. `get 513 B blksize 512`. */
  readonly name: string;
  /** How it ended. */
  readonly status: CellStatus;
  /** Seconds it took. */
  readonly seconds: number;
  /** Why it was skipped or expected to fail, or the failure message. */
  readonly note?: string;
}

/** Settings of one cell. */
export interface CellOptions {
  /** A known bug of the peer: the case is expected to fail, for this reason. */
  expectFailure?: string;
  /** The case cannot run (say, the peer is not installed), for this reason. */
  skip?: string;
}

/**
 * Collects cells across a test file.
 *
 * @example
 * ```ts ignore
 * const matrix = new Matrix("peers");
 * Deno.test("tftpd-hpa server", async (t) => {
 *   await matrix.step(t, "tftpd-hpa server", "get 0 B", async () => {});
 * });
 * Deno.test("summary", () => matrix.print());
 * ```
 */
export class Matrix {
  #title: string;
  #cells: Cell[] = [];

  /** Creates an empty matrix with a title for its table. */
  constructor(title: string) {
    this.#title = title;
  }

  /** Every cell recorded so far. */
  get cells(): readonly Cell[] {
    return this.#cells;
  }

  /** Runs one cell as a step of `t` and records it. */
  async step(
    t: Deno.TestContext,
    peer: string,
    name: string,
    fn: () => Promise<void>,
    options: CellOptions = {},
  ): Promise<void> {
    const label = `${peer}: ${name}`;
    if (options.skip !== undefined) {
      this.#cells.push({ peer, name, status: "skip", seconds: 0, note: options.skip });
      await t.step({ name: `${label} (skipped: ${options.skip})`, ignore: true, fn: () => {} });
      return;
    }
    await t.step(label, async () => {
      const started = performance.now();
      let error: unknown;
      try {
        await fn();
      } catch (caught) {
        error = caught;
      }
      const seconds = (performance.now() - started) / 1000;
      const message = error instanceof Error ? error.message.split("\n")[0] : String(error);
      if (options.expectFailure !== undefined) {
        const status: CellStatus = error === undefined ? "fixed?" : "xfail";
        this.#cells.push({ peer, name, status, seconds, note: options.expectFailure });
        if (error === undefined) {
          throw new Error(
            `Expected to fail (${options.expectFailure}) but passed: update the record`,
          );
        }
        return;
      }
      this.#cells.push({
        peer,
        name,
        status: error === undefined ? "pass" : "FAIL",
        seconds,
        note: error === undefined ? undefined : message,
      });
      if (error !== undefined) throw error;
    });
  }

  /** The table as text: one line per cell, then a count per status. */
  format(): string {
    const peerWidth = Math.max(4, ...this.#cells.map((c) => c.peer.length));
    const nameWidth = Math.max(4, ...this.#cells.map((c) => c.name.length));
    const lines = [
      `${this.#title}`,
      `${"peer".padEnd(peerWidth)}  ${"case".padEnd(nameWidth)}  result   seconds  note`,
    ];
    for (const c of this.#cells) {
      lines.push(
        `${c.peer.padEnd(peerWidth)}  ${c.name.padEnd(nameWidth)}  ${c.status.padEnd(7)}  ${
          c.seconds.toFixed(2).padStart(7)
        }  ${c.note ?? ""}`.trimEnd(),
      );
    }
    const counts = new Map<CellStatus, number>();
    for (const c of this.#cells) counts.set(c.status, (counts.get(c.status) ?? 0) + 1);
    lines.push([...counts].map(([status, n]) => `${n} ${status}`).join(", "));
    return lines.join("\n");
  }

  /** Prints the table to stdout. */
  print(): void {
    console.log(`\n${this.format()}\n`);
  }
}
