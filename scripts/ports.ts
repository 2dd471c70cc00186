/**
 * Which ports the dev launcher needs are already taken, and by what: the listening socket is found in
 * /proc/net/tcp{,6}, its owner through /proc/<pid>/fd (Linux; elsewhere the port alone is named).
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import net from 'node:net';

export interface PortHolder { pid: number; command: string }

/** True when something already listens on host:port (a bind fails with EADDRINUSE). */
export function portTaken(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'EADDRINUSE' || err.code === 'EACCES'));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(false)));
  });
}

/** Socket inodes listening on `port` (state 0A = LISTEN), from /proc/net/tcp and tcp6. */
function listeningInodes(port: number): Set<string> {
  const inodes = new Set<string>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try { text = readFileSync(file, 'utf8'); } catch { continue; }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 10) continue;
      const localPort = parseInt(cols[1].split(':')[1] ?? '', 16);
      if (localPort === port && cols[3] === '0A') inodes.add(cols[9]);
    }
  }
  return inodes;
}

/** The processes holding a listening socket on `port`, when /proc tells. */
export function portHolders(port: number): PortHolder[] {
  const inodes = listeningInodes(port);
  if (inodes.size === 0) return [];
  const holders: PortHolder[] = [];
  let pids: string[];
  try { pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d)); } catch { return []; }
  for (const pid of pids) {
    let fds: string[];
    try { fds = readdirSync(`/proc/${pid}/fd`); } catch { continue; }
    const holds = fds.some((fd) => {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        return Boolean(m && inodes.has(m[1]));
      } catch {
        return false;
      }
    });
    if (!holds) continue;
    let command = '';
    try { command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' '); } catch { /* gone */ }
    holders.push({ pid: Number(pid), command: command.length > 160 ? `${command.slice(0, 157)}...` : command });
  }
  return holders;
}

/** One line a person can act on: the port, what it is for, and who holds it. */
export function describeTakenPort(port: number, purpose: string): string {
  const holders = portHolders(port);
  const by = holders.length
    ? holders.map((h) => `pid ${h.pid} (${h.command || 'unknown command'})`).join(', ')
    : 'a process this user cannot see';
  return `Port ${port} (${purpose}) is already in use by ${by}.`;
}
