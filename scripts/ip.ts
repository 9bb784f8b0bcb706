/**
 * `ip`: describes IPv4 addresses and CIDR blocks (netmask, network, broadcast, hosts, class,
 * special-purpose kinds) and well-known ports, on the command line.
 *
 * ```sh
 * deno run scripts/ip.ts 192.168.1.10/24 10.0.0.0/255.0.0.0 --port 69
 * deno run scripts/ip.ts --json 100.64.0.1
 * ```
 *
 * Exit status: 0 when every input was described, 1 when one was invalid (one `error:` line
 * each on stderr), 2 on a usage error. Everything but the writing is in `_ip_format.ts`.
 *
 * @module
 */

import { err, out } from "./_cli.ts";
import { runIp } from "./_ip_format.ts";

if (import.meta.main) {
  const { stdout, stderr, code } = runIp(Deno.args);
  out(stdout);
  err(stderr);
  Deno.exit(code);
}
