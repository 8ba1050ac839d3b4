// Every listener of this project binds a loopback address unless told otherwise (the broker's
// --host and --admin-host, the apps' HOST): one bound elsewhere can be reached from other machines,
// and the process that opened it says so in a warning.

/** 127.0.0.0/8, ::1 and their IPv4-mapped IPv6 forms. */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (address === undefined) return false;
  const v4 = address.startsWith("::ffff:") ? address.slice("::ffff:".length) : address;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4) || address === "::1" || address === "0:0:0:0:0:0:0:1";
}

/** Whether binding `host` keeps a listener on this machine: a loopback address, or "localhost". */
export function isLoopbackHost(host: string): boolean {
  return host === "localhost" || isLoopbackAddress(host);
}

/** The warning a listener (`what`) bound to host:port logs, or null when it stays on loopback. */
export function beyondLoopbackWarning(what: string, host: string, port: number): string | null {
  if (isLoopbackHost(host)) return null;
  return `${what} listens on ${host.includes(":") ? `[${host}]` : host}:${port}, beyond loopback: other machines can reach it`;
}
