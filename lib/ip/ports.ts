/**
 * Names of well-known TCP and UDP ports: a small table of the services a network engineer
 * meets most, with the IANA service name (RFC 6335) for each protocol it is assigned on. Pure.
 *
 * @module
 */

/** A transport protocol. */
export type PortProtocol = "tcp" | "udp";

/** One service on a port. */
export interface PortService {
  /** The IANA service name, e.g. `tftp`. */
  readonly name: string;
  /** The protocols the service uses on this port. */
  readonly protocols: readonly PortProtocol[];
  /** What the service is. */
  readonly description: string;
}

/** The IANA port ranges (RFC 6335 section 6). */
export type PortRange = "well-known" | "registered" | "dynamic";

/** What {@linkcode describePort} reports about a port number. */
export interface PortDescription {
  /** The port number, 0 to 65535. */
  readonly port: number;
  /** 0-1023 well-known (system), 1024-49151 registered (user), 49152-65535 dynamic. */
  readonly range: PortRange;
  /** The services this table knows on the port; empty when none. */
  readonly services: readonly PortService[];
}

const TCP = ["tcp"] as const;
const UDP = ["udp"] as const;
const BOTH = ["tcp", "udp"] as const;

/**
 * The table: port number, then its services. Names are the IANA service names, except where
 * the description says the use is not IANA-registered.
 */
export const WELL_KNOWN_PORTS: ReadonlyMap<number, readonly PortService[]> = new Map<
  number,
  readonly PortService[]
>([
  [20, [{ name: "ftp-data", protocols: TCP, description: "FTP data (RFC 959)" }]],
  [21, [{ name: "ftp", protocols: TCP, description: "FTP control (RFC 959)" }]],
  [22, [{ name: "ssh", protocols: TCP, description: "Secure Shell (RFC 4251)" }]],
  [23, [{ name: "telnet", protocols: TCP, description: "Telnet (RFC 854)" }]],
  [25, [{ name: "smtp", protocols: TCP, description: "Simple Mail Transfer (RFC 5321)" }]],
  [53, [{ name: "domain", protocols: BOTH, description: "Domain Name System (RFC 1035)" }]],
  [67, [{ name: "bootps", protocols: UDP, description: "BOOTP/DHCP server (RFC 2131)" }]],
  [68, [{ name: "bootpc", protocols: UDP, description: "BOOTP/DHCP client (RFC 2131)" }]],
  [69, [{ name: "tftp", protocols: UDP, description: "Trivial File Transfer (RFC 1350)" }]],
  [80, [{ name: "http", protocols: TCP, description: "HTTP (RFC 9110)" }]],
  [110, [{ name: "pop3", protocols: TCP, description: "Post Office Protocol 3 (RFC 1939)" }]],
  [123, [{ name: "ntp", protocols: UDP, description: "Network Time Protocol (RFC 5905)" }]],
  [143, [{ name: "imap", protocols: TCP, description: "IMAP (RFC 9051)" }]],
  [161, [{ name: "snmp", protocols: UDP, description: "SNMP agent (RFC 3411)" }]],
  [162, [{ name: "snmptrap", protocols: UDP, description: "SNMP traps (RFC 3411)" }]],
  [389, [{ name: "ldap", protocols: TCP, description: "LDAP (RFC 4511)" }]],
  [443, [{ name: "https", protocols: BOTH, description: "HTTP over TLS or QUIC (RFC 9110)" }]],
  [514, [
    { name: "shell", protocols: TCP, description: "Remote shell (rsh)" },
    { name: "syslog", protocols: UDP, description: "Syslog (RFC 5426)" },
  ]],
  [546, [{ name: "dhcpv6-client", protocols: UDP, description: "DHCPv6 client (RFC 8415)" }]],
  [547, [{ name: "dhcpv6-server", protocols: UDP, description: "DHCPv6 server (RFC 8415)" }]],
  [993, [{ name: "imaps", protocols: TCP, description: "IMAP over TLS (RFC 8314)" }]],
  [995, [{ name: "pop3s", protocols: TCP, description: "POP3 over TLS (RFC 8314)" }]],
  [2425, [{
    name: "ipmsg",
    protocols: BOTH,
    description: "IP Messenger (not IANA-registered; IANA lists fjitsuappmgr)",
  }]],
  [3306, [{ name: "mysql", protocols: TCP, description: "MySQL" }]],
  [3389, [{ name: "ms-wbt-server", protocols: TCP, description: "Remote Desktop (RDP)" }]],
  [5432, [{ name: "postgresql", protocols: TCP, description: "PostgreSQL" }]],
  [6379, [{ name: "redis", protocols: TCP, description: "Redis" }]],
  [8080, [{ name: "http-alt", protocols: TCP, description: "HTTP alternate" }]],
]);

/**
 * Describes a port number: its IANA range and the services the table knows on it.
 *
 * @throws {RangeError} when `port` is not an integer between 0 and 65535.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { describePort } from "./ports.ts";
 *
 * const d = describePort(69);
 * assert.equal(d.range, "well-known");
 * assert.equal(d.services[0].name, "tftp");
 * assert.deepEqual(d.services[0].protocols, ["udp"]);
 * assert.throws(() => describePort(70000), RangeError);
 * ```
 */
export function describePort(port: number): PortDescription {
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(`Port must be an integer between 0 and 65535, got ${port}`);
  }
  const range: PortRange = port < 1024 ? "well-known" : port < 49152 ? "registered" : "dynamic";
  return { port, range, services: WELL_KNOWN_PORTS.get(port) ?? [] };
}
